// What an ability returns: a string is text, anything else JSON.

const KIND = Symbol('skillhost.output');

/** Forces text output (the value is converted with `String`). */
export function text(value) {
  return { [KIND]: 'text', value };
}

/** Forces JSON output, e.g. for a string that should arrive as a JSON string. */
export function json(value) {
  return { [KIND]: 'json', value };
}

function serialise(value) {
  let encoded;
  try {
    encoded = JSON.stringify(value === undefined ? null : value);
  } catch (e) {
    // BigInt, cycles: a failure of the ability, as in the Rust SDK.
    throw { tag: 'failed', val: `JSON: ${e && e.message ? e.message : e}` };
  }
  // A bare function or symbol serialises to nothing.
  return encoded === undefined ? 'null' : encoded;
}

/** The WIT `output` value for what an ability function returned. */
export function toWitOutput(result) {
  if (result && typeof result === 'object' && KIND in result) {
    return result[KIND] === 'text'
      ? { tag: 'text', val: String(result.value) }
      : { tag: 'json', val: serialise(result.value) };
  }
  if (typeof result === 'string') return { tag: 'text', val: result };
  return { tag: 'json', val: serialise(result) };
}
