// skillhost-sdk: write skillhost skills in JavaScript or TypeScript as plain
// functions registered with `ability(…)`. See ../README.md and ../index.d.ts.
//
// Layout: registry.js (ability, the `abilities` export), schema.js (`s`),
// output.js (text/JSON), errors.js (InvalidInput, Failed, Denied),
// host.js (secret, config, session, log), http.js (fetch),
// preinit.js (set up at build time what calls would set up).
import './preinit.js';
export { ability, abilities } from './registry.js';
export { s, Schema } from './schema.js';
export { text, json } from './output.js';
export { SkillError, InvalidInput, Failed, Denied } from './errors.js';
export { secret, config, session, log } from './host.js';
export { fetch, fetchJson } from './http.js';
