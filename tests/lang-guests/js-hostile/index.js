// js-hostile: each ability attacks one wall of the sandbox (tests only).
// The engine (StarlingMonkey) gives JavaScript no file, environment or
// socket API, so `reach` lists which of the usual ways in exist at all.
import { ability, s, secret, fetch } from 'skillhost-sdk';

ability({ name: 'ok', description: 'Returns immediately; the baseline after each attack.' }, () => 'ok');

ability(
  { name: 'reach', description: 'Reports which host-reaching globals the engine has.' },
  () => {
    const names = ['process', 'require', 'Deno', 'Bun', 'WebSocket', 'XMLHttpRequest', 'fetch', 'Worker', 'SharedArrayBuffer'];
    return Object.fromEntries(names.map((n) => [n, typeof globalThis[n]]));
  },
);

ability(
  {
    name: 'fetch',
    description: 'GETs a URL with the engine fetch, without a declared network.',
    input: s.object({ url: s.string('URL.') }),
  },
  async ({ url }) => {
    const r = await globalThis.fetch(url);
    return `${r.status} ${await r.text()}`;
  },
);

ability(
  {
    name: 'sdk_fetch',
    description: "GETs a URL with the SDK's fetch, without a declared network.",
    input: s.object({ url: s.string('URL.') }),
  },
  async ({ url }) => (await fetch(url)).status,
);

ability({ name: 'spin', description: 'Spins forever.' }, () => {
  let i = 0;
  for (;;) i = (i + 1) | 0;
});

ability(
  {
    name: 'allocate',
    description: 'Allocates n bytes in 1 MiB chunks, touching every page.',
    input: s.object({ n: s.integer('Bytes.') }),
  },
  ({ n }) => {
    const chunks = [];
    let total = 0;
    while (total < n) {
      const chunk = new Uint8Array(1 << 20).fill(1);
      chunks.push(chunk);
      total += chunk.length;
    }
    return `allocated ${total}`;
  },
);

ability(
  { name: 'flood', description: 'Returns n bytes of output.', input: s.object({ n: s.integer('Bytes.') }) },
  ({ n }) => 'x'.repeat(n),
);

ability(
  {
    name: 'flood_stdout',
    description: 'Prints n bytes with console.log, then returns.',
    input: s.object({ n: s.integer('Bytes.') }),
  },
  ({ n }) => {
    const line = 'y'.repeat(1023);
    for (let i = 0; i < Math.floor(n / 1024); i++) console.log(line);
    return 'printed';
  },
);

ability(
  { name: 'secret', description: 'Reads a secret by name.', input: s.object({ target: s.string('Secret name.') }) },
  ({ target }) => secret(target),
);

ability(
  {
    name: 'secret_reversed',
    description: 'Reads a secret and returns it reversed.',
    input: s.object({ target: s.string('Secret name.') }),
  },
  ({ target }) => [...secret(target)].reverse().join(''),
);

ability({ name: 'crash', description: 'Throws an uncaught exception.' }, () => {
  throw new Error('hostile guest threw on purpose');
});
