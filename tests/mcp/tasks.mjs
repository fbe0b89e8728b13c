// Drives MCP's tasks extension with the official clients: the TypeScript
// SDK 2.x's Client (pinned to 2026-07-28) and the extension's own client,
// @modelcontextprotocol/ext-tasks, which frames every tasks request itself
// and asks its host only to POST them (`rawDispatch`: the HTTP leg, with
// the token).
//
//   node tasks.mjs TOKEN PLAN_JSON
//
// PLAN_JSON is a list of steps, each printed with what it observed:
//   {op: "call", url, name, arguments, label?}     a task-aware call; waits for its outcome
//   {op: "start", url, name, arguments, label, detach?}
//                                                  a task-aware call, not waited for; detached, the
//                                                  session's close leaves it running (else it cancels it)
//   {op: "settle", label}                          waits for a started call's outcome
//   {op: "cancel", label}                          tasks/cancel, then waits for the outcome
//   {op: "get", url, label | taskId}               tasks/get from a session on `url`
//   {op: "update", url, label | taskId}            tasks/update with a response nobody asked for
//   {op: "plain", url, name, arguments}            tools/call from a client that did not declare tasks
//   {op: "raw", url, method, taskId|label, mcpName, declare}   one tasks request as sent, for refusals
//   {op: "sleep", ms}
// Exits 2 with the error on stderr when the SDK throws outside a step.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createTaskSessionFromClient, resultFromTaskOutcome } from '@modelcontextprotocol/ext-tasks/client';

const VERSION = '2026-07-28';
const TASKS = 'io.modelcontextprotocol/tasks';
const [token, planJson] = process.argv.slice(2);
const clientInfo = { name: 'skillhost-tests', version: '1.0.0' };
const auth = token ? { Authorization: `Bearer ${token}` } : {};
let nextId = 1;

async function post(url, body, headers) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...auth, ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = /event-stream/.test(res.headers.get('content-type') ?? '')
      ? JSON.parse(text.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5)).filter((d) => d.trim()).at(-1))
      : JSON.parse(text);
  } catch {
    json = { unparsed: text };
  }
  return { status: res.status, json };
}

const sessions = new Map();
async function session(url) {
  if (sessions.has(url)) return sessions.get(url);
  const client = new Client(clientInfo, { versionNegotiation: { mode: { pin: VERSION } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: auth } }));
  const rawDispatch = async (request, options = {}) => {
    const headers = { 'MCP-Protocol-Version': VERSION, 'Mcp-Method': request.method, ...(options.context?.headers ?? {}) };
    if (request.method === 'tools/call') headers['Mcp-Name'] = request.params.name;
    const { json } = await post(url, { jsonrpc: '2.0', id: `raw-${nextId++}`, ...request }, headers);
    return json.error ? { kind: 'error', error: json.error } : { kind: 'result', result: json.result };
  };
  const tasks = createTaskSessionFromClient(client, {
    endpointId: url,
    rawDispatch,
    v2RequestFraming: { protocolVersion: VERSION, clientInfo, clientCapabilities: {} },
  });
  const entry = { client, tasks, declared: client.getServerCapabilities()?.extensions?.[TASKS] ?? null };
  sessions.set(url, entry);
  return entry;
}

function describe(outcome) {
  const seen = { status: outcome.status };
  try {
    const result = resultFromTaskOutcome(outcome);
    seen.isError = Boolean(result.isError);
    seen.text = (result.content ?? []).map((c) => c.text);
  } catch (e) {
    seen.error = String(e.message);
  }
  return seen;
}

function view(snapshot) {
  return { taskId: snapshot.taskId, status: snapshot.status, statusMessage: snapshot.statusMessage ?? null, ttlMs: snapshot.retentionMs ?? null, pollIntervalMs: snapshot.suggestedPollIntervalMs ?? null };
}

const started = new Map();
const out = [];
try {
  for (const step of JSON.parse(planJson)) {
    const seen = { op: step.op, label: step.label ?? null };
    try {
      const id = step.taskId ?? started.get(step.label)?.handle?.taskId;
      if (step.op === 'call' || step.op === 'start') {
        const { tasks, declared } = await session(step.url);
        seen.serverDeclared = declared;
        const exec = await tasks.callTool(step.name, step.arguments ?? {});
        seen.kind = exec.kind;
        seen.taskId = exec.handle?.taskId ?? null;
        if (step.label) started.set(step.label, exec);
        if (step.detach) await exec.detach();
        if (step.op === 'call') seen.outcome = describe((await exec.settle()).outcome);
      } else if (step.op === 'settle') {
        seen.outcome = describe((await started.get(step.label).settle()).outcome);
      } else if (step.op === 'cancel') {
        const exec = started.get(step.label);
        await exec.cancel();
        seen.outcome = describe((await exec.settle()).outcome);
      } else if (step.op === 'get') {
        const { tasks } = await session(step.url);
        seen.task = view(await tasks.task(id).snapshot());
      } else if (step.op === 'update') {
        const { tasks } = await session(step.url);
        await tasks.task(id).update({ unasked: { action: 'accept', content: {} } });
        seen.updated = true;
      } else if (step.op === 'plain') {
        const { client } = await session(step.url);
        const result = await client.callTool({ name: step.name, arguments: step.arguments ?? {} });
        seen.resultType = result.resultType ?? null;
        seen.isError = Boolean(result.isError);
        seen.text = (result.content ?? []).map((c) => c.text);
      } else if (step.op === 'raw') {
        const meta = { 'io.modelcontextprotocol/protocolVersion': VERSION, 'io.modelcontextprotocol/clientInfo': clientInfo, 'io.modelcontextprotocol/clientCapabilities': step.declare === false ? {} : { extensions: { [TASKS]: {} } } };
        const headers = { 'MCP-Protocol-Version': VERSION, 'Mcp-Method': step.method, 'Mcp-Name': step.mcpName ?? id };
        const { status, json } = await post(step.url, { jsonrpc: '2.0', id: `raw-${nextId++}`, method: step.method, params: { taskId: id, _meta: meta } }, headers);
        seen.status = status;
        seen.error = json.error ?? null;
        seen.result = json.result ?? null;
      } else if (step.op === 'sleep') {
        await new Promise((r) => setTimeout(r, step.ms));
      }
    } catch (e) {
      seen.threw = String(e && e.message ? e.message : e);
      seen.code = e && e.code !== undefined ? e.code : null;
    }
    out.push(seen);
  }
  for (const { tasks, client } of sessions.values()) {
    await tasks.close();
    await client.close();
  }
  console.log(JSON.stringify(out));
} catch (e) {
  console.error(String(e && e.message ? e.message : e));
  process.exit(2);
}
