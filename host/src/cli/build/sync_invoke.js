
// Appended by skillhost to componentize-js's componentize.js: rewrites the
// bindings' `invoke` export so that a synchronous ability's call creates no
// promise. componentize-js's C++ `call` needs a promise back and drives the
// event loop until it settles; the generated export is an `async function`,
// so every call made one, and with async stack capture on, each promise
// records a saved stack and a unique id (about 8 % of a JavaScript call).
// Rewritten, the export lowers a synchronous result at once and returns a
// promise made once, at build time; a thenable result (an async ability)
// still goes through an async function, exactly as before.
function skillhostSyncInvoke(bindings) {
  const head = 'async function export_abilities_0_1_0$invoke(arg0, arg1, arg2, arg3, arg4) {\n';
  const call = '    const hostRet2 = await abilities010Invoke(result0, result1);\n';
  const lowering = '  var variant10 = ret;\n';
  const start = bindings.indexOf(head);
  if (start < 0) return bindings;
  const once = (text, part) => text.indexOf(part) >= 0 && text.indexOf(part) === text.lastIndexOf(part);
  const end = bindings.indexOf('\n}\n', start);
  const fn = bindings.slice(start, end);
  if (!once(bindings, head) || end < 0 || !once(fn, call) || !once(fn, lowering)) {
    throw new Error(
      'skillhost: the bindings of the pinned componentize-js changed shape; the invoke export cannot be rewritten',
    );
  }
  const callAt = fn.indexOf(call);
  const lowerAt = fn.indexOf(lowering);
  // The arguments' decoding, up to and including `let ret;` and `try {`.
  const prelude = fn.slice(head.length, callAt);
  // The result's wrapping, and the `catch` that closes the prelude's `try`.
  const wrap = fn.slice(callAt + call.length, lowerAt);
  // Writing `ret` into the return area at `arg4`; ends with `return;`.
  const lower = fn.slice(lowerAt);
  return (
    bindings.slice(0, start) +
    'function skillhost$lowerInvoke(ret, arg4) {\n' + lower + '\n}\n\n' +
    'const skillhost$settled = Promise.resolve();\n\n' +
    'async function skillhost$finishInvoke(pending, arg4) {\n' +
    '  let ret;\n  try {\n    const hostRet2 = await pending;\n' + wrap +
    '  skillhost$lowerInvoke(ret, arg4);\n}\n\n' +
    'function export_abilities_0_1_0$invoke(arg0, arg1, arg2, arg3, arg4) {\n' + prelude +
    '    const hostRet2 = abilities010Invoke(result0, result1);\n' +
    "    if (hostRet2 !== null && typeof hostRet2 === 'object' && typeof hostRet2.then === 'function') {\n" +
    '      return skillhost$finishInvoke(hostRet2, arg4);\n    }\n' + wrap +
    '  skillhost$lowerInvoke(ret, arg4);\n  return skillhost$settled;\n}\n' +
    bindings.slice(end + 3)
  );
}
