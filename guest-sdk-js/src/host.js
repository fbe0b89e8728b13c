// Services the host offers (WIT interface `skillhost:skill/host`): secrets,
// configuration, session state and logging. The `skillhost:` import stays
// external when bundling; componentize-js binds it to the component import.
import * as host from 'skillhost:skill/host@0.1.0';
import { Denied, Failed, messageOf } from './errors.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The secret `name`, when the manifest declares it and the operator supplied
 * it; otherwise throws `Denied` (the host's message names the secret, never a
 * value). Never log the value.
 */
export function secret(name) {
  try {
    return host.secret(name);
  } catch (e) {
    throw Denied(messageOf(e));
  }
}

/** The configuration value `key` set for this skill, or `undefined`. */
export function config(key) {
  const value = host.config(key);
  return value === undefined || value === null ? undefined : value;
}

/** Session state: bytes by key, shared by calls with the same session id. */
export const session = {
  /** The bytes under `key`; `undefined` when unset or the call has no session. */
  get(key) {
    const value = host.sessionGet(key);
    return value === undefined || value === null ? undefined : new Uint8Array(value);
  },
  /** The value under `key` as UTF-8 text, or `undefined`. */
  getText(key) {
    const bytes = session.get(key);
    return bytes === undefined ? undefined : decoder.decode(bytes);
  },
  /** The value under `key` parsed as JSON, or `undefined`; throws `Failed` when it is not JSON. */
  getJson(key) {
    const text = session.getText(key);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch (e) {
      throw Failed(`session key \`${key}\` is not JSON: ${e.message}`);
    }
  },
  /** Stores bytes (a string is stored as UTF-8); throws `Failed` when the call has no session or the value is too large. */
  set(key, value) {
    const bytes = typeof value === 'string' ? encoder.encode(value) : value;
    try {
      host.sessionSet(key, bytes);
    } catch (e) {
      throw Failed(messageOf(e));
    }
  },
  /** Stores `value` as JSON. */
  setJson(key, value) {
    session.set(key, JSON.stringify(value));
  },
  /** Removes `key`; removing a missing key is not an error. */
  delete(key) {
    host.sessionDelete(key);
  },
};

function emit(level, message, fields) {
  const pairs = Object.entries(fields || {}).map(([k, v]) => [
    k,
    typeof v === 'string' ? v : JSON.stringify(v) ?? String(v),
  ]);
  host.log(level, String(message), pairs);
}

/** Structured records in the host's log, tagged with skill and invocation. `fields` is an object of extra values. */
export const log = {
  trace: (message, fields) => emit('trace', message, fields),
  debug: (message, fields) => emit('debug', message, fields),
  info: (message, fields) => emit('info', message, fields),
  warn: (message, fields) => emit('warn', message, fields),
  error: (message, fields) => emit('error', message, fields),
};
