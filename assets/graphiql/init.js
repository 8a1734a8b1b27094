// GraphiQL as maillage serves it: everything from this server (see src/graphql/graphiql.rs).
(function () {
  var fetcher = GraphiQL.createFetcher({ url: '/graphql' });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      headers: '{}',
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: false,
      defaultQuery:
        '# maillage: the API of the France Services network.\n' +
        '# Signed in = a token in the Headers tab below:\n' +
        '#   { "Authorization": "Bearer <token>" }\n' +
        '# (a token: `maillage token EMAIL` on the server). Then run:\n' +
        '{\n  me { email roles { role } }\n}\n',
    }),
  );
})();
