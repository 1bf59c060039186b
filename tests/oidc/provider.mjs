// A real OpenID Connect provider (panva/oidc-provider) for the staff sign-in tests, on loopback.
// Usage: node provider.mjs <port> <config.json>; prints "ready <issuer>" once it listens.
// The config lists the portal's clients (id, secret, redirect and post-logout URIs; a `native`
// client on 127.0.0.1 may use any port); the users
// and signing keys live here. Its login form is oidc-provider's development interaction (any
// password is accepted): this provider is for tests only.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, configPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const issuer = `http://127.0.0.1:${port}`;

// Who can sign in. `roles` is the claim the portal reads; table@ has none (the staff table decides).
const USERS = {
  'admin@platform.test': { name: 'Ada Admin', roles: ['admin'] },
  'risk@platform.test': { name: 'Rita Risk', roles: ['risk'] },
  'support@platform.test': { name: 'Sam Support', roles: ['support'] },
  'table@platform.test': { name: 'Tom Table' },
};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: config.clients.map((client) => ({
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...client,
  })),
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'roles'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], roles: ['roles'] },
  // Put the scopes' claims in the ID token itself, as many company providers do.
  conformIdTokenClaims: false,
  ttl: { IdToken: 600, AccessToken: 600, Interaction: 600, Session: 3600, Grant: 3600, AuthorizationCode: 60 },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  async findAccount(ctx, id) {
    const email = id.toLowerCase();
    const user = USERS[email] || { name: email };
    return {
      accountId: email,
      async claims() {
        return { sub: email, email, email_verified: true, name: user.name, ...(user.roles ? { roles: user.roles } : {}) };
      },
    };
  },
  // First-party client: no consent screen.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile roles');
    grant.addOIDCClaims(['email', 'email_verified', 'name', 'roles']);
    await grant.save();
    return grant;
  },
});

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
