// Why an ability produced no output: the three WIT `error` variants.
//
// Each can be thrown with or without `new`: `throw InvalidInput("…")`.
// Anything else an ability throws is reported as `failed` with its message.

/** Base of the three errors; `tag` is the WIT variant's name. */
export function SkillError(tag, message) {
  if (!new.target) return new SkillError(tag, message);
  init(this, tag, message);
}

function init(error, tag, message) {
  error.tag = tag;
  error.message = String(message);
  error.stack = new Error(error.message).stack;
}
SkillError.prototype = Object.create(Error.prototype, {
  constructor: { value: SkillError, writable: true, configurable: true },
  name: { value: 'SkillError', writable: true, configurable: true },
});

function variant(name, tag) {
  function E(message) {
    if (!new.target) return new E(message);
    init(this, tag, message);
  }
  E.prototype = Object.create(SkillError.prototype, {
    constructor: { value: E, writable: true, configurable: true },
    name: { value: name, writable: true, configurable: true },
  });
  Object.defineProperty(E, 'name', { value: name });
  return E;
}

/** The input was unusable; fixing the input fixes the call. */
export const InvalidInput = variant('InvalidInput', 'invalid-input');
/** The ability ran and failed. */
export const Failed = variant('Failed', 'failed');
/** The sandbox refused something the ability needed. */
export const Denied = variant('Denied', 'denied');

const TAGS = new Set(['invalid-input', 'failed', 'denied']);

/** The message of anything thrown: an Error's message, a host import's payload, or the value as text. */
export function messageOf(thrown) {
  if (thrown && typeof thrown === 'object') {
    // componentize-js throws a ComponentError whose `payload` is the WIT error value.
    if (typeof thrown.payload === 'string') return thrown.payload;
    if (typeof thrown.message === 'string') return thrown.message;
  }
  return String(thrown);
}

/** Converts anything an ability threw into the WIT `error` value that `invoke` throws. */
export function toWitError(thrown) {
  if (thrown instanceof SkillError) return { tag: thrown.tag, val: thrown.message };
  // Already a WIT error value, e.g. from code written against the raw bindings.
  if (thrown && typeof thrown === 'object' && TAGS.has(thrown.tag) && typeof thrown.val === 'string') {
    return { tag: thrown.tag, val: thrown.val };
  }
  return { tag: 'failed', val: messageOf(thrown) };
}
