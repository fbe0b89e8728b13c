// A small JSON Schema builder: each builder yields a JSON Schema (`.json`)
// and, in TypeScript, the type of the value it accepts (`Infer<typeof x>`).
//
// Objects refuse unknown properties by default (like `deny_unknown_fields`
// in the Rust examples) and list every property that is neither
// `.optional()` nor has a `.default(…)` as required. The host validates the
// input against the schema before the ability runs; the SDK then fills in
// defaults, so the function sees them.

function options(opts) {
  // A bare string is a description: `s.string('The city')`.
  return typeof opts === 'string' ? { description: opts } : { ...(opts || {}) };
}

/** One schema node. Immutable: every modifier returns a copy. */
export class Schema {
  constructor(json, children = {}) {
    this.json = json;
    this.isOptional = false;
    this.children = children;
  }

  _copy(extra, optional = this.isOptional) {
    const copy = new Schema({ ...this.json, ...extra }, this.children);
    copy.isOptional = optional;
    return copy;
  }

  /** Sets the description agents read. */
  describe(description) {
    return this._copy({ description });
  }

  /** Makes the property optional in its object; absent stays `undefined`. */
  optional() {
    return this._copy({}, true);
  }

  /** Makes the property optional; the function sees `value` when it is absent. */
  default(value) {
    return this._copy({ default: value }, true);
  }

  /** The JSON Schema, so `JSON.stringify(schema)` works. */
  toJSON() {
    return this.json;
  }

  /** Returns `value` with object defaults filled in, recursively. */
  applyDefaults(value) {
    const { properties, items, additional } = this.children;
    if (properties && value && typeof value === 'object' && !Array.isArray(value)) {
      const out = { ...value };
      for (const [key, child] of Object.entries(properties)) {
        if (out[key] === undefined) {
          if ('default' in child.json) out[key] = structuredClone(child.json.default);
        } else {
          out[key] = child.applyDefaults(out[key]);
        }
      }
      if (additional) {
        for (const key of Object.keys(out)) {
          if (!(key in properties)) out[key] = additional.applyDefaults(out[key]);
        }
      }
      return out;
    }
    if (items && Array.isArray(value)) return value.map((v) => items.applyDefaults(v));
    return value;
  }
}

export const s = {
  /** A string. Options: description, minLength, maxLength, pattern, format. */
  string: (opts) => new Schema({ type: 'string', ...options(opts) }),
  /** A number. Options: description, minimum, maximum, exclusiveMinimum, exclusiveMaximum. */
  number: (opts) => new Schema({ type: 'number', ...options(opts) }),
  /** An integer. Same options as `number`. */
  integer: (opts) => new Schema({ type: 'integer', ...options(opts) }),
  /** `true` or `false`. */
  boolean: (opts) => new Schema({ type: 'boolean', ...options(opts) }),
  /** One of the given strings or numbers. */
  enum: (values, opts) => new Schema({ enum: [...values], ...options(opts) }),
  /** A list of `items`. Options: description, minItems, maxItems, uniqueItems. */
  array: (items, opts) =>
    new Schema({ type: 'array', items: items.json, ...options(opts) }, { items }),
  /** An object with the given properties; unknown properties are refused unless `additionalProperties: true`. */
  object: (properties, opts) => {
    const props = {};
    const required = [];
    for (const [key, child] of Object.entries(properties)) {
      props[key] = child.json;
      if (!child.isOptional) required.push(key);
    }
    const json = { type: 'object', properties: props, required, additionalProperties: false, ...options(opts) };
    return new Schema(json, { properties });
  },
  /** An object whose keys are free and whose values all match `values`. */
  record: (values, opts) =>
    new Schema(
      { type: 'object', additionalProperties: values.json, ...options(opts) },
      { properties: {}, additional: values },
    ),
  /** Any JSON value. */
  any: (opts) => new Schema({ ...options(opts) }),
  /** A hand-written JSON Schema, taken as it is; its TypeScript type is `unknown` unless given. */
  raw: (json) => new Schema({ ...json }),
};

/** The JSON Schema of an ability's `input`: a builder, a plain schema object, or nothing. */
export function jsonSchemaOf(input) {
  if (input === undefined) return { type: 'object', properties: {}, additionalProperties: false };
  if (input instanceof Schema) return input.json;
  if (input && typeof input === 'object' && !Array.isArray(input)) return input;
  throw new TypeError('`input` must be a schema from `s`, a JSON Schema object, or absent');
}
