// An MCP client that signs in with OAuth, as an agent's client does: the
// official TypeScript SDK 2.x with an `authProvider`. It gets a 401, follows
// the protected-resource document to the authorization server, registers
// itself, runs the authorization-code flow with PKCE for this resource,
// and retries with the access token. The user's part (the browser) is
// played by following the redirects with a cookie jar; the authorization
// server of tests/mcp/authorization_server.mjs logs in `LOGIN` and grants.
//
//   node oauth_client.mjs URL LOGIN PLAN_JSON
//
// PLAN_JSON is a list of {name, arguments} tool calls. Prints one JSON
// object: the tools listed, each call's result, the access token and the
// authorization request's scope and resource. Exits 2 with the error on
// stderr when the SDK throws.
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';

const [url, login, planJson] = process.argv.slice(2);
const REDIRECT_URI = 'http://127.0.0.1:53682/callback';

class CookieJar {
  #cookies = new Map();
  store(response) {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      const expired = attributes.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now());
      if (!value || expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
  header() {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

// Follows the authorization server's redirects until one leads back to
// the client's redirect URI.
async function authorize(authorizationUrl) {
  const jar = new CookieJar();
  let next = String(authorizationUrl);
  for (let hop = 0; hop < 20; hop++) {
    if (next.startsWith(REDIRECT_URI)) return new URL(next);
    const at = new URL(next);
    if (/^\/interaction\/[^/]+$/.test(at.pathname)) at.searchParams.set('login', login);
    const response = await fetch(at, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(response);
    const location = response.headers.get('location');
    await response.arrayBuffer();
    if (!location) throw new Error(`the authorization server answered ${response.status} at ${at.pathname}`);
    next = new URL(location, at).href;
  }
  throw new Error('too many redirects');
}

class Provider {
  #state;
  #client;
  #tokens;
  #verifier;
  #discovery;
  authorizationUrl;
  callback;
  get redirectUrl() {
    return REDIRECT_URI;
  }
  get clientMetadata() {
    return { client_name: 'skillhost-tests', redirect_uris: [REDIRECT_URI], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  state() {
    this.#state = crypto.randomUUID();
    return this.#state;
  }
  clientInformation() { return this.#client; }
  saveClientInformation(information) { this.#client = information; }
  tokens() { return this.#tokens; }
  saveTokens(tokens) { this.#tokens = tokens; }
  saveCodeVerifier(verifier) { this.#verifier = verifier; }
  codeVerifier() { return this.#verifier; }
  saveDiscoveryState(state) { this.#discovery = state; }
  discoveryState() { return this.#discovery; }
  invalidateCredentials(scope) {
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined;
    if (scope === 'all' || scope === 'client') this.#client = undefined;
  }
  async redirectToAuthorization(authorizationUrl) {
    this.authorizationUrl = new URL(authorizationUrl);
    this.callback = await authorize(authorizationUrl);
    // The SDK leaves `state` to its host.
    if (this.callback.searchParams.get('state') !== this.#state) throw new Error('state mismatch');
  }
}

try {
  const provider = new Provider();
  const first = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  try {
    await new Client({ name: 'skillhost-tests', version: '1.0.0' }).connect(first);
    throw new Error('the server let an unauthenticated client in');
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
  }
  // The whole callback query: the authorization server sends `iss` too.
  await first.finishAuth(provider.callback.searchParams);
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  const client = new Client({ name: 'skillhost-tests', version: '1.0.0' });
  await client.connect(transport);
  const { tools } = await client.listTools();
  const calls = [];
  for (const call of JSON.parse(planJson || '[]')) {
    const result = await client.callTool({ name: call.name, arguments: call.arguments ?? {} });
    calls.push({ isError: Boolean(result.isError), text: result.content.map((c) => c.text) });
  }
  await client.close();
  console.log(JSON.stringify({
    tools: tools.map((t) => t.name),
    calls,
    accessToken: provider.tokens().access_token,
    asked: { scope: provider.authorizationUrl.searchParams.get('scope'), resource: provider.authorizationUrl.searchParams.get('resource') },
  }));
} catch (e) {
  console.error(String(e && e.message ? e.message : e));
  process.exit(2);
}
