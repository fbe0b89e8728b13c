// Drives a skillhost MCP endpoint with the official TypeScript SDK.
//
//   node client.mjs URL TOKEN PLAN_JSON
//
// PLAN_JSON is a list of {name, arguments} tool calls. Prints one JSON
// object: the negotiated protocol version, the tools listed and each call's
// result. Exits 2 with the error (and its code, for an HTTP status) on
// stderr when the SDK throws.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const [url, token, planJson] = process.argv.slice(2);
const plan = JSON.parse(planJson);
const headers = token ? { Authorization: `Bearer ${token}` } : {};
try {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  const client = new Client({ name: 'skillhost-tests', version: '1.0.0' });
  await client.connect(transport);
  const { tools } = await client.listTools();
  const out = {
    protocolVersion: transport.protocolVersion,
    sessionId: transport.sessionId ?? null,
    tools: tools.map((t) => ({ name: t.name, title: t.title, inputSchema: t.inputSchema, annotations: t.annotations })),
    calls: [],
  };
  for (const call of plan) {
    try {
      const r = await client.callTool({ name: call.name, arguments: call.arguments ?? {} });
      out.calls.push({ isError: Boolean(r.isError), text: r.content.map((c) => c.text), structured: r.structuredContent ?? null });
    } catch (e) {
      out.calls.push({ protocolError: String(e.message) });
    }
  }
  await client.close();
  console.log(JSON.stringify(out));
} catch (e) {
  // The SDK's HTTP errors carry the status as `code`.
  const status = e && e.code !== undefined ? ` (code ${e.code})` : '';
  console.error(String(e && e.message ? e.message : e) + status);
  process.exit(2);
}
