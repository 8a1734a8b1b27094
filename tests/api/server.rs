//! Health, readiness and GraphiQL.
use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_ready_answer_ok_while_the_database_is_up() {
    let app = spawn_app().await;
    let health = app.get("/health").await;
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.expect("body"), "ok");
    let ready = app.get("/ready").await;
    assert_eq!(ready.status(), 200);
}

#[tokio::test]
async fn ready_reports_unavailable_when_the_database_is_gone() {
    let app = spawn_app().await;
    app.db.clone().close().await.expect("close the pool");
    assert_eq!(app.get("/ready").await.status(), 503);
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn graphiql_is_served_on_get() {
    let app = spawn_app().await;
    let page = app.get("/graphql").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("body").contains("graphiql"));
}
