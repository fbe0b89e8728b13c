// skillhost's JavaScript interpreter for seed 003's code skills.
//
// The host calls `run` with a code skill's source, its arguments and its
// standard input. The source is the body of an async function (so it may
// `await`), called with `args`, `stdin`, `console`, `process` and
// `skillhost`; `console.log` and `process.stdout.write` are its output and
// `process.exit(n)` ends it with status `n`. `check` parses a source
// without running it, so a syntax error is refused when the skill is
// created.
import * as sdk from 'skillhost-sdk';
import { ability, s, InvalidInput } from 'skillhost-sdk';

const AsyncFunction = (async () => {}).constructor;
const PARAMETERS = ['args', 'stdin', 'console', 'process', 'skillhost'];

// What the code sees as `skillhost`: the host's services, and a fetch that
// goes through the host's guard like the global one.
const SKILLHOST = Object.freeze({
  secret: sdk.secret,
  config: sdk.config,
  session: sdk.session,
  log: sdk.log,
  fetch: sdk.fetch,
  fetchJson: sdk.fetchJson,
});

// The function's source starts two lines before the code's first line.
const LINE_OFFSET = 2;

function compile(code) {
  try {
    return new AsyncFunction(...PARAMETERS, code);
  } catch (e) {
    if (e instanceof SyntaxError) {
      const line = typeof e.lineNumber === 'number' ? e.lineNumber - LINE_OFFSET : null;
      const where = line !== null && line > 0 ? ` (main.js, line ${line})` : '';
      throw InvalidInput(`SyntaxError: ${e.message}${where}`);
    }
    throw e;
  }
}

ability(
  {
    name: 'check',
    description: "Parses a code skill's source without running it.",
    input: s.object({ code: s.string('The source.') }),
  },
  ({ code }) => {
    compile(code);
    return 'ok';
  },
);

class Exit {
  constructor(code) {
    this.code = code;
  }
}

function show(value) {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text;
  } catch {
    return String(value);
  }
}

// The frames of a stack in the skill's code, as `main.js:LINE:COLUMN`
// (SpiderMonkey names them `… > AsyncFunction:LINE:COLUMN`); the runner's
// own frames are left out.
function where(error) {
  const stack = error && typeof error.stack === 'string' ? error.stack : '';
  return stack
    .split('\n')
    .map((frame) => /^(.*)@.*> AsyncFunction:(\d+):(\d+)$/.exec(frame))
    .filter(Boolean)
    .map(([, fn, line, column]) => `    at ${fn || '<main>'} (main.js:${line - LINE_OFFSET}:${column})\n`)
    .join('');
}

function status(code) {
  const n = Number(code ?? 0);
  return Number.isInteger(n) ? n & 0xff : 1;
}

ability(
  {
    name: 'run',
    description: "Runs a code skill's source with its arguments and standard input.",
    input: s.object({
      code: s.string('The source.'),
      argv: s.array(s.string(), 'The arguments.'),
      stdin: s.string('Standard input.'),
    }),
  },
  async ({ code, argv, stdin }) => {
    let stdout = '';
    let stderr = '';
    const line = (values) => values.map(show).join(' ') + '\n';
    const out = (...values) => {
      stdout += line(values);
    };
    const err = (...values) => {
      stderr += line(values);
    };
    const console = { log: out, info: out, debug: out, error: err, warn: err };
    const process = {
      argv: ['javascript', 'main.js', ...argv],
      env: {},
      exit(code) {
        throw new Exit(code);
      },
      stdout: { write: (text) => ((stdout += String(text)), true) },
      stderr: { write: (text) => ((stderr += String(text)), true) },
    };
    let exitCode = 0;
    try {
      await compile(code)(argv, stdin, console, process, SKILLHOST);
    } catch (e) {
      if (e instanceof Exit) {
        exitCode = status(e.code);
      } else {
        stderr += `Uncaught ${show(e)}\n${where(e)}`;
        exitCode = 1;
      }
    }
    return { stdout, stderr, exit_code: exitCode };
  },
);
