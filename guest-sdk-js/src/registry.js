// The abilities a skill registers and the `abilities` export that lists and
// runs them (WIT interface `skillhost:skill/abilities`).
import { toWitError } from './errors.js';
import { toWitOutput } from './output.js';
import { Schema, jsonSchemaOf } from './schema.js';

/** Registered abilities by name, in registration order (the order `describe` lists). */
const registry = new Map();

/** The host's rule for ability names (`is_ability_name` in host/src/manifest.rs). */
const NAME = /^[a-z0-9_-]{1,64}$/;

/**
 * Registers an ability. Runs at build time: componentize-js evaluates the
 * module's top level while pre-initialising the component, so a mistake
 * here fails the build rather than a call.
 */
export function ability(spec, run) {
  if (!spec || typeof spec !== 'object') throw new TypeError('ability(spec, fn): spec must be an object');
  const { name, description, input } = spec;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TypeError(`ability name ${JSON.stringify(name)}: use 1-64 lowercase letters, digits, \`_\` and \`-\``);
  }
  if (registry.has(name)) throw new TypeError(`ability \`${name}\` is registered twice`);
  if (typeof description !== 'string' || !description.trim()) {
    throw new TypeError(`ability \`${name}\` needs a description`);
  }
  if (typeof run !== 'function') throw new TypeError(`ability \`${name}\` needs a function`);
  const schema = jsonSchemaOf(input);
  const entry = {
    name,
    description: description.trim(),
    inputSchema: JSON.stringify(schema),
    prepare: input instanceof Schema ? (value) => input.applyDefaults(value) : (value) => value,
    run,
  };
  registry.set(name, entry);
  return run;
}

/** The component's export. The build's entry file re-exports it. */
export const abilities = {
  describe() {
    return [...registry.values()].map(({ name, description, inputSchema }) => ({
      name,
      description,
      inputSchema,
    }));
  },

  // Not `async`: a synchronous ability's call then creates no promise and
  // no generator of its own (the bindings await whatever this returns).
  invoke(name, inputText) {
    const entry = registry.get(name);
    if (!entry) throw { tag: 'invalid-input', val: `this skill has no ability named \`${name}\`` };
    let input;
    try {
      input = entry.prepare(JSON.parse(inputText));
    } catch (e) {
      throw { tag: 'invalid-input', val: `input is not JSON: ${e && e.message}` };
    }
    let result;
    try {
      result = entry.run(input);
    } catch (e) {
      throw toWitError(e);
    }
    if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
      return Promise.resolve(result).then(toWitOutput, (e) => {
        throw toWitError(e);
      });
    }
    return toWitOutput(result);
  },
};
