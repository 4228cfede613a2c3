// Runs panva's oidc-provider (OpenID Certified) on loopback for Continuum's SSO tests.
// Usage: node oidc-provider.mjs CONFIG.json — the JSON names the port, the clients and the
// people who may sign in. Sign-in uses the provider's own development interactions (a login
// form and a consent form). With "publishOtherKey", the JWKS endpoint publishes a different
// key under the signing key's ID, as an attacker's token would look to the client. With
// "loginAmr" (a list, or lists by account ID) and "loginAcr", sign-ins are recorded as made
// with those authentication methods and that context class, as an IdP that asked for a
// second factor reports it.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const issuer = `http://localhost:${config.port}`;

function rsaJwk(kid) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
}

const signingKey = rsaJwk('test-signing-key');

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys: [signingKey] },
  async findAccount(ctx, id) {
    const person = config.accounts[id];
    if (!person) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...person };
      },
    };
  },
  claims: {
    // How the person signed in goes into every ID token (as an IdP's usually does), not only
    // when the client asks for it by the claims parameter.
    openid: ['sub', 'acr', 'amr', 'auth_time'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name'],
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  ...(config.loginAcr ? { acrValues: [config.loginAcr] } : {}),
  cookies: { keys: ['continuum-test-cookie-key'] },
});

if (config.loginAmr || config.loginAcr) {
  // The development login form knows no second factor: say that one was used.
  const finished = provider.interactionFinished.bind(provider);
  provider.interactionFinished = (req, res, result, options) => {
    if (result && result.login) {
      const amr = Array.isArray(config.loginAmr)
        ? config.loginAmr
        : (config.loginAmr || {})[result.login.accountId];
      result.login = {
        ...result.login,
        ...(amr ? { amr } : {}),
        ...(config.loginAcr ? { acr: config.loginAcr } : {}),
      };
    }
    return finished(req, res, result, options);
  };
}

if (config.publishOtherKey) {
  const { d, p, q, dp, dq, qi, ...otherPublic } = rsaJwk('test-signing-key');
  provider.use(async (ctx, next) => {
    if (ctx.path === '/jwks') {
      ctx.type = 'application/jwk-set+json';
      ctx.body = { keys: [otherPublic] };
      return;
    }
    await next();
  });
}

provider.listen(config.port, 'localhost', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
