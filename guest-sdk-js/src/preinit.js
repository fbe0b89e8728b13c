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
  void Promise.resolve().then(() => {});
  // The bindings' export is an async function that awaits the ability:
  // a generator, a promise and a job. Its job runs before the snapshot.
  void (async () => { await undefined; })();
  // What the bindings do with every call's strings and results.
  if (typeof TextDecoder === 'function') {
    void new TextDecoder().decode(new Uint8Array(new ArrayBuffer(2), 0, 1));
  }
  if (typeof TextEncoder === 'function') {
    void new TextEncoder().encodeInto('a', new Uint8Array(4));
    void new TextEncoder().encode('a').length;
  }
  void new DataView(new ArrayBuffer(8)).setUint32(0, 1, true);
  // Much of the standard library is itself written in JavaScript inside the
  // engine and compiled on first use, once per instance unless it happens
  // here: the common string, array, RegExp, JSON and collection methods.
  const text = 'Aa b\nc';
  void text.split(/\s+/).filter(Boolean).map((w) => w.toLowerCase()).join(' ');
  void text.split('\n').slice(1).concat([]).reverse().indexOf('c');
  void text.replace(/a/g, 'b').replaceAll('b', 'c').trim().padStart(8).endsWith('c');
  void [...text.matchAll(/\w/g)].length;
  void (/(\w)/.exec(text) && /b/.test(text) && text.match(/\w+/g));
  void [3, 1, 2].sort((a, b) => a - b).some((n) => n > 1);
  void [1, 2].every(Number.isInteger) && [1].find((n) => n) && [1].includes(1);
  void [1, 2].reduce((a, b) => a + b, 0) + Array.from({ length: 1 }, (_, i) => i).length;
  [1].forEach(() => {});
  void Object.fromEntries(Object.entries(Object.assign({}, { a: 1 })));
  void Object.keys({ a: 1 }).length + Object.values({ a: 1 }).length;
  void JSON.stringify(JSON.parse('{"a":[1,"b",null,true,{"c":1.5}]}'));
  const map = new Map([['a', 1]]);
  map.set('b', (map.get('a') ?? 0) + 1);
  void [...map.entries()].length + [...new Set([1, 1]).values()].length;
  void String(1) + Number('1') + parseInt('1', 10) + (1.5).toFixed(1);
  void encodeURIComponent(text) + decodeURIComponent('%20');
}
