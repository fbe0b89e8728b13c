// A real OAuth 2.1 authorization server for the OAuth tests: oidc-provider
// (pinned in package.json) on 127.0.0.1, issuing RFC 9068 JWT access
// tokens for any loopback resource indicator (RFC 8707), with the
// account's tenant in a `tenant` claim, to clients that register
// themselves. Its login and consent run without a page: /interaction/UID
// logs in `?login=` (default alice) and grants what was asked.
//
//   node authorization_server.mjs
//
// Prints one line, {"issuer": ...}, once it listens. For the refusal tests
// it also signs tokens a client could never get from it, with the same
// keys it publishes (or others), so that hostile tokens are exactly as
// hostile as asked: POST /hostile/mint {header, claims, key} where key is
// rs256 | es256 | eddsa (its published keys), stranger (an RS256 key it
// does not publish), hs-with-public-key (HS256 keyed with its RS256
// public key: the algorithm-confusion attack), none (unsigned).
// GET /hostile/stats counts the fetches of its JWKS; POST
// /hostile/publish-stranger adds the stranger key to it (a key rotation).
import http from 'node:http';
import { once } from 'node:events';
import Provider, { errors } from 'oidc-provider';
import { SignJWT, generateKeyPair, exportJWK, exportSPKI } from 'jose';

const TENANTS = { alice: 'acme', bob: 'globex' };

const keys = {};
const published = [];
// The public halves, as /jwks serves them; `stranger` joins on request.
const jwks = [];
for (const [name, alg, opts] of [
  ['rs256', 'RS256', { modulusLength: 2048 }],
  ['es256', 'ES256', {}],
  ['eddsa', 'EdDSA', { crv: 'Ed25519' }],
  ['stranger', 'RS256', { modulusLength: 2048 }],
]) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { ...opts, extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `test-${name}` };
  keys[name] = { alg, privateKey, publicKey, kid: jwk.kid };
  keys[name].public = { ...(await exportJWK(publicKey)), alg, use: 'sig', kid: jwk.kid };
  if (name !== 'stranger') {
    published.push(jwk);
    jwks.push(keys[name].public);
  }
}

const server = http.createServer();
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  jwks: { keys: published },
  cookies: { keys: ['skillhost-tests-cookie-key'] },
  // A client registers with the scope it will ask for: every scope must be
  // the server's (the token's scope is cut down to the resource's anyway).
  scopes: ['openid', 'offline_access', 'skills:read', 'skills:write'],
  claims: { openid: ['sub'] },
  clientDefaults: {
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  },
  pkce: { required: () => true },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  extraTokenClaims: async (ctx, token) =>
    token.kind === 'AccessToken' ? { tenant: TENANTS[token.accountId] ?? 'nobody' } : undefined,
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    resourceIndicators: {
      enabled: true,
      getResourceServerInfo: async (ctx, resource) => {
        if (!resource.startsWith('http://127.0.0.1:')) throw new errors.InvalidTarget();
        return { scope: 'skills:read skills:write', audience: resource, accessTokenTTL: 300, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
});

async function interaction(req, res, login) {
  const { prompt, params, session, grantId } = await provider.interactionDetails(req, res);
  const accountId = session?.accountId ?? login;
  const grant = grantId ? await provider.Grant.find(grantId) : new provider.Grant({ accountId, clientId: params.client_id });
  const details = prompt.details;
  if (details.missingOIDCScope) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (details.missingOIDCClaims) grant.addOIDCClaims(details.missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(details.missingResourceScopes ?? {})) {
    grant.addResourceScope(resource, scopes.join(' '));
  }
  const result = { consent: { grantId: await grant.save() } };
  if (prompt.name === 'login' || !session?.accountId) result.login = { accountId };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

async function mint(body) {
  const { header = {}, claims = {}, key = 'rs256' } = body;
  if (key === 'none') {
    const encode = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
    return `${encode({ alg: 'none', typ: 'at+jwt', ...header })}.${encode(claims)}.`;
  }
  if (key === 'hs-with-public-key') {
    const secret = new TextEncoder().encode(await exportSPKI(keys.rs256.publicKey));
    return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: keys.rs256.kid, ...header }).sign(secret);
  }
  const { alg, privateKey, kid } = keys[key];
  return new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'at+jwt', ...header }).sign(privateKey);
}

const stats = { jwks: 0 };
let rotated = false;
const callback = provider.callback();
server.on('request', async (req, res) => {
  const url = new URL(req.url, issuer);
  try {
    if (/^\/interaction\/[^/]+$/.test(url.pathname)) {
      await interaction(req, res, url.searchParams.get('login') ?? 'alice');
      return;
    }
    if (url.pathname === '/hostile/mint' && req.method === 'POST') {
      let body = '';
      for await (const chunk of req) body += chunk;
      res.setHeader('content-type', 'text/plain');
      res.end(await mint(JSON.parse(body)));
      return;
    }
    if (url.pathname === '/hostile/stats') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(stats));
      return;
    }
    if (url.pathname === '/hostile/publish-stranger' && req.method === 'POST') {
      jwks.push(keys.stranger.public);
      rotated = true;
      res.end('published');
      return;
    }
    if (url.pathname === '/jwks') {
      stats.jwks += 1;
      // oidc-provider's own key set, until a rotation it cannot make at
      // run time: then the same keys and the new one.
      if (rotated) {
        res.setHeader('content-type', 'application/jwk-set+json');
        res.end(JSON.stringify({ keys: jwks }));
        return;
      }
    }
  } catch (e) {
    res.statusCode = 400;
    res.end(String(e));
    return;
  }
  callback(req, res);
});
console.log(JSON.stringify({ issuer }));
