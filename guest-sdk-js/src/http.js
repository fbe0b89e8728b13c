// Outgoing HTTP: the engine's `fetch` (StarlingMonkey over
// `wasi:http/outgoing-handler`), with failures turned into the SDK's errors.
//
// Only components built for a skill that declares `network` import wasi:http
// (see `skillhost build`); in others `fetch` cannot reach anything. The host sends a
// request only when the URL matches a declared `network` pattern and the
// operator's grant; it records every refusal, so the error category the agent
// sees comes from the host, and the message here is for the skill's author.
import { Denied, Failed, messageOf } from './errors.js';

/** `fetch` as in the browser; throws `Failed` (or `Denied`) instead of a bare `TypeError`. */
export async function fetch(resource, init) {
  const url = typeof resource === 'string' ? resource : resource && resource.url ? resource.url : String(resource);
  // `skillhost build` says whether the component imports wasi:http; the
  // engine's fetch would trap (not throw) in one that does not.
  if (globalThis.__skillhostNetwork === false) {
    throw Denied(`this skill declares no network, so it cannot fetch ${url}: add \`network = ["https://host.example"]\` under [capabilities] in skill.toml`);
  }
  try {
    return await globalThis.fetch(resource, init);
  } catch (e) {
    const message = messageOf(e);
    if (/denied|prohibited/i.test(message)) throw Denied(`the sandbox refused a request to ${url}`);
    throw Failed(`request to ${url} failed: ${message}`);
  }
}

/** GETs `url` (or sends `init`) and parses the body as JSON; throws `Failed` on a non-2xx status or a body that is not JSON. */
export async function fetchJson(url, init) {
  const response = await fetch(url, init);
  const body = await response.text();
  if (!response.ok) throw Failed(`request to ${url} answered ${response.status}: ${body.slice(0, 200)}`);
  try {
    return JSON.parse(body);
  } catch (e) {
    throw Failed(`response from ${url} is not JSON: ${e.message}`);
  }
}
