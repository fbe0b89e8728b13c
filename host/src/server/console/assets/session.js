// The signed-in token and every API call. The token lives in this tab's
// sessionStorage only (never a cookie, never a URL) and is forgotten after
// IDLE_MS without use. A 401 ends the session: the shell hears of it
// through the `console:signed-out` event, so this module imports nothing.
const TOKEN = 'skillhost.token';
const USED = 'skillhost.used';
export const IDLE_MS = 30 * 60 * 1000;

/// What `GET /api/me` said of the signed-in token.
export const session = { me: null };

export function keep(secret) {
  sessionStorage.setItem(TOKEN, secret);
  sessionStorage.setItem(USED, String(Date.now()));
}

export function forget() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(USED);
  session.me = null;
}

export function kept() {
  const used = Number(sessionStorage.getItem(USED) ?? 0);
  if (Date.now() - used > IDLE_MS) {
    forget();
    return null;
  }
  return sessionStorage.getItem(TOKEN);
}

function signedOut(message) {
  forget();
  window.dispatchEvent(new CustomEvent('console:signed-out', { detail: message }));
  return new Error('signed out');
}

/// Calls the API with the token: `body` is sent as JSON, or as it is when
/// it is a File (with its own content type).
export async function api(path, { method = 'GET', body, contentType } = {}) {
  const secret = kept();
  if (!secret) throw signedOut('Signed out after 30 minutes without use.');
  sessionStorage.setItem(USED, String(Date.now()));
  const headers = { Authorization: `Bearer ${secret}` };
  let payload;
  if (body instanceof Blob) {
    headers['Content-Type'] = contentType ?? 'application/wasm';
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload });
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) throw signedOut(data.error ?? 'The token is no longer valid.');
  if (!response.ok) throw new Error(`${data.error ?? response.statusText} (${response.status})`);
  return data;
}

/// Whether the signed-in token holds `scope` (an admin holds them all).
export function may(scope) {
  const me = session.me;
  return Boolean(me && (me.scopes.includes(scope) || me.scopes.includes('admin')));
}

export const path = (...parts) => parts.map(encodeURIComponent).join('/');
