// Types of skillhost-sdk (src/index.js). A skill imports from 'skillhost-sdk';
// `skillhost build` resolves that name to this SDK.

// ---------------------------------------------------------------- schemas

/** A JSON Schema document, as plain data. */
export type JsonSchema = { [key: string]: unknown };

/** A schema node built with `s`: its JSON Schema and, as a type, the value it accepts. */
export interface Schema<T, Optional extends boolean = false> {
  /** The JSON Schema. */
  readonly json: JsonSchema;
  readonly isOptional: Optional;
  /** Phantom: the accepted value's type. Use `Infer<typeof schema>`. */
  readonly __type?: T;
  /** Sets the description agents read. */
  describe(description: string): Schema<T, Optional>;
  /** Optional in its object; absent stays `undefined`. */
  optional(): Schema<T | undefined, true>;
  /** Optional in its object; the function sees `value` when it is absent. */
  default(value: T): Schema<T, true>;
  toJSON(): JsonSchema;
}

/** The value type a schema accepts. */
export type Infer<S> = S extends Schema<infer T, any> ? T : unknown;

type AnySchema = Schema<any, boolean>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<P> = { [K in keyof P]: P[K] extends Schema<infer T, true> ? (undefined extends T ? K : never) : never }[keyof P];
type ObjectOf<P extends Record<string, AnySchema>> = Simplify<
  { [K in Exclude<keyof P, OptionalKeys<P>>]: Infer<P[K]> } & { [K in OptionalKeys<P>]?: Infer<P[K]> }
>;

/** Options every schema takes; a bare string is the description. */
export type Described = string | { description?: string; title?: string; examples?: unknown[] };
export type StringOptions = Described | { description?: string; minLength?: number; maxLength?: number; pattern?: string; format?: string };
export type NumberOptions = Described | { description?: string; minimum?: number; maximum?: number; exclusiveMinimum?: number; exclusiveMaximum?: number; multipleOf?: number };
export type ArrayOptions = Described | { description?: string; minItems?: number; maxItems?: number; uniqueItems?: boolean };
export type ObjectOptions = Described | { description?: string; additionalProperties?: boolean };

/** The schema builder. Objects refuse unknown properties unless `additionalProperties: true`. */
export declare const s: {
  string(opts?: StringOptions): Schema<string>;
  number(opts?: NumberOptions): Schema<number>;
  integer(opts?: NumberOptions): Schema<number>;
  boolean(opts?: Described): Schema<boolean>;
  enum<const V extends readonly (string | number)[]>(values: V, opts?: Described): Schema<V[number]>;
  array<I extends AnySchema>(items: I, opts?: ArrayOptions): Schema<Infer<I>[]>;
  object<P extends Record<string, AnySchema>>(properties: P, opts?: ObjectOptions): Schema<ObjectOf<P>>;
  record<V extends AnySchema>(values: V, opts?: Described): Schema<Record<string, Infer<V>>>;
  any(opts?: Described): Schema<unknown>;
  raw<T = unknown>(json: JsonSchema): Schema<T>;
};

// ---------------------------------------------------------------- abilities

/** Anything an ability may return: a string is text output, anything else JSON. */
export type AbilityResult = unknown;

/**
 * Registers an ability: `name` (1-64 of `a-z 0-9 _ -`, unique), a
 * `description` agents read, and the JSON Schema of its input (a schema
 * from `s`, typed; a plain JSON Schema object, untyped; or nothing for no
 * input). The host validates the input against it before `run` is called.
 * Returns `run`.
 */
export declare function ability<S extends AnySchema, R>(
  spec: { name: string; description: string; input: S },
  run: (input: Infer<S>) => R,
): (input: Infer<S>) => R;
export declare function ability<R>(
  spec: { name: string; description: string; input?: JsonSchema },
  run: (input: any) => R,
): (input: any) => R;

/** Forces text output. */
export declare function text(value: unknown): AbilityResult;
/** Forces JSON output (e.g. a string sent as a JSON string). */
export declare function json(value: unknown): AbilityResult;

/** The component's `abilities` export; the build's entry re-exports it. Not for skill code. */
export declare const abilities: {
  describe(): { name: string; description: string; inputSchema: string }[];
  /** The output at once for a synchronous ability, a promise of it for an `async` one. */
  invoke(
    name: string,
    input: string,
  ): { tag: 'text' | 'json'; val: string } | Promise<{ tag: 'text' | 'json'; val: string }>;
};

// ---------------------------------------------------------------- errors

/** One of the three errors an ability reports; `tag` is the WIT variant. */
export interface SkillError extends Error {
  readonly tag: 'invalid-input' | 'failed' | 'denied';
}
interface SkillErrorConstructor<E extends SkillError> {
  new (message: string): E;
  (message: string): E;
  readonly prototype: E;
}
export interface InvalidInput extends SkillError { readonly tag: 'invalid-input' }
export interface Failed extends SkillError { readonly tag: 'failed' }
export interface Denied extends SkillError { readonly tag: 'denied' }
/** The input was unusable; fixing the input fixes the call. `throw InvalidInput('…')`. */
export declare const InvalidInput: SkillErrorConstructor<InvalidInput>;
/** The ability ran and failed. Any other thrown value is reported as failed too. */
export declare const Failed: SkillErrorConstructor<Failed>;
/** The sandbox refused something the ability needed. */
export declare const Denied: SkillErrorConstructor<Denied>;
export declare const SkillError: {
  new (tag: SkillError['tag'], message: string): SkillError;
  (tag: SkillError['tag'], message: string): SkillError;
  readonly prototype: SkillError;
};

// ---------------------------------------------------------------- host

/** The secret `name` if declared in skill.toml and supplied; otherwise throws `Denied`. */
export declare function secret(name: string): string;
/** The configuration value `key`, or `undefined`. */
export declare function config(key: string): string | undefined;

/** Session state, kept across calls with the same session id. */
export declare const session: {
  get(key: string): Uint8Array | undefined;
  getText(key: string): string | undefined;
  /** Throws `Failed` when the stored value is not JSON. */
  getJson<T = unknown>(key: string): T | undefined;
  /** Throws `Failed` when the call has no session or the value is too large. */
  set(key: string, value: Uint8Array | string): void;
  setJson(key: string, value: unknown): void;
  delete(key: string): void;
};

/** Extra values of a log record; non-strings are written as JSON. */
export type LogFields = Record<string, unknown>;
/** Structured records in the host's log. Never log secret values. */
export declare const log: {
  trace(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
};

// ---------------------------------------------------------------- http

/**
 * The standard `fetch`, over wasi:http; throws `Failed` or `Denied` instead of
 * a bare `TypeError`. Works only in skills whose skill.toml declares
 * `network`, and only to the declared destinations.
 */
export declare function fetch(resource: string | URL | Request, init?: RequestInit): Promise<Response>;
/** `fetch` then parse the body as JSON; throws `Failed` on a non-2xx status. */
export declare function fetchJson<T = unknown>(url: string | URL, init?: RequestInit): Promise<T>;
