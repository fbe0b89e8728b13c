// Work done while the build snapshots the engine, so that no call does it.
//
// componentize-js evaluates the skill's top level once, at build time, and
// every call starts from that snapshot in a fresh instance. SpiderMonkey sets
// up each standard class (its prototype and methods) the first time code in a
// realm touches it; whatever a call touches first is therefore set up again on
// every call. Measured on an empty ability, that was about half of the call.
//
// This file runs in two realms: the skill's (the SDK imports it) and the one
// componentize-js evaluates its bindings in, which converts every call's
// strings and awaits the export (`skillhost build` appends it there). It is a
// plain script: no imports, no exports, nothing left behind but what the
// engine caches.
{
  const classes = [
    'Object', 'Function', 'Array', 'String', 'Number', 'Boolean', 'Symbol',
    'BigInt', 'Error', 'TypeError', 'RangeError', 'SyntaxError', 'Promise',
    'Map', 'Set', 'WeakMap', 'WeakSet', 'ArrayBuffer', 'DataView',
    'Uint8Array', 'Int8Array', 'Uint16Array', 'Int16Array', 'Uint32Array',
    'Int32Array', 'Float32Array', 'Float64Array', 'BigInt64Array',
    'BigUint64Array', 'JSON', 'Math', 'Reflect', 'RegExp', 'Date',
  ];
  for (const name of classes) void globalThis[name];
  // Methods on primitives resolve their wrapper classes' prototypes.
  void 'a'.charCodeAt(0);
  void (0).toFixed(0);
  void [].concat([]);
  void [...'ab'];
  // Every promise records the stack that created it (SavedFrame).
  void new Error('preinit').stack;
  void Promise.resolve();
}
