// A real OpenID provider for the test suite: panva's oidc-provider (OpenID Certified), with
// its development login form. Started by tests/api/oidc.rs; not for production.
//
// Environment:
//   PORT          port to listen on (127.0.0.1)
//   CLIENTS       JSON array of oidc-provider client metadata
//   ACCOUNTS      JSON object: login -> claims (email, email_verified, given_name, usual_name…)
//   ALGORITHMS    signing keys to generate, comma-separated (default "RS256,ES256"); each
//                 start generates new keys, so a restart on the same port is a key rotation
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const clients = JSON.parse(process.env.CLIENTS);
const accounts = JSON.parse(process.env.ACCOUNTS);
const algorithms = (process.env.ALGORITHMS || 'RS256,ES256').split(',');

const keys = algorithms.map((alg) => {
  const pair = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = pair.privateKey.export({ format: 'jwk' });
  return { ...jwk, alg, use: 'sig', kid: `${alg}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}` };
});

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients,
  jwks: { keys },
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['given_name', 'usual_name', 'uid', 'siret', 'idp_id'],
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  ttl: { IdToken: 3600, AccessToken: 3600, AuthorizationCode: 60, Session: 3600, Interaction: 600, Grant: 3600 },
});
provider.proxy = false;

provider.listen(port, '127.0.0.1', () => {
  console.log(`listening on ${port}`);
});
