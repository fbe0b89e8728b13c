// Calls an HTTP API on 127.0.0.1 through the host's outgoing-HTTP policy.
import { ability, s, fetch, secret, log, Failed, type Infer } from 'skillhost-sdk';

const Call = s.object({
  url: s.string('Absolute URL, e.g. `http://127.0.0.1:8000/v1/status`.'),
  method: s.enum(['GET', 'POST', 'PUT', 'DELETE'], 'HTTP method.').default('GET'),
  headers: s.record(s.string(), 'Request headers.').default({}),
  body: s.any('Request body: a string is sent as it is, anything else as JSON.').optional(),
  pointer: s.string('A JSON Pointer applied to a JSON response body, to return only part of it.').optional(),
  auth: s.boolean('Send the operator-supplied API_TOKEN secret as a bearer token.').default(false),
});

interface Reply {
  status: number;
  contentType: string | null;
  /** The body: JSON when it parses as JSON, otherwise text. */
  body: unknown;
}


/** RFC 6901: `/a/0/b`. */
function at(document: unknown, pointer: string): unknown {
  if (pointer === '') return document;
  let node: any = document;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) {
      throw Failed(`the response has nothing at \`${pointer}\``);
    }
    node = node[key];
  }
  return node;
}

export const request = ability(
  {
    name: 'request',
    description:
      'Sends an HTTP request to an API on 127.0.0.1 and returns the status and the body (parsed when it is JSON).',
    input: Call,
  },
  async (input: Infer<typeof Call>): Promise<Reply> => {
    const headers: Record<string, string> = { ...input.headers };
    // Read only when asked: the host records a refused secret as a denial and
    // then reports any later failure of the call as that denial.
    if (input.auth) headers.authorization = `Bearer ${secret('API_TOKEN')}`;
    let body: string | undefined;
    if (typeof input.body === 'string') body = input.body;
    else if (input.body !== undefined) {
      body = JSON.stringify(input.body);
      headers['content-type'] ??= 'application/json';
    }
    const started = Date.now();
    const response = await fetch(input.url, { method: input.method, headers, body });
    const text = await response.text();
    log.debug('fetched', { url: input.url, status: response.status, ms: Date.now() - started });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body: input.pointer === undefined ? parsed : at(parsed, input.pointer),
    };
  },
);

ability(
  { name: 'ping', description: 'Answers `pong`; a trivial ability for timing the sandbox.' },
  () => 'pong',
);
