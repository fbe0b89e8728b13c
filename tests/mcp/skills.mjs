// Reads an agent's skills over MCP's skills extension with the official
// TypeScript SDK 2.x: its SkillsClient lists them and reads every file,
// checking each file's size and sha256 digest (and SKILL.md's frontmatter)
// against the server's entry.
//
//   node skills.mjs URL TOKEN MODE PROBES_JSON
//
// MODE is the SDK's version negotiation: `legacy` (2025-11-25) or `auto`
// (2026-07-28). PROBES_JSON is a list of {kind: get|read|directory, uri}
// requests expected to be refused: each one's error code and message are
// printed. Prints one JSON object. Exits 2 with the error on stderr when
// the SDK throws outside a probe.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { SkillsClient } from '@modelcontextprotocol/client/ext/skills';

const [url, token, mode, probesJson] = process.argv.slice(2);
const headers = token ? { Authorization: `Bearer ${token}` } : {};
try {
  const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  const client = new Client({ name: 'skillhost-tests', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(transport);
  const skills = new SkillsClient(client);
  const listing = await skills.list();
  const out = {
    protocolVersion: client.getNegotiatedProtocolVersion() ?? null,
    supported: skills.supported,
    directoryRead: skills.directoryRead,
    ttlMs: listing.ttlMs ?? null,
    cacheScope: listing.cacheScope ?? null,
    skills: [],
    probes: [],
  };
  for (const skill of listing.skills) {
    const files = [];
    for (const entry of skill.resources) {
      const file = await skills.read(skill, entry.uri);
      files.push({
        uri: file.uri,
        mimeType: file.mimeType ?? null,
        verified: file.verified,
        text: file.text ?? null,
        base64: Buffer.from(file.bytes).toString('base64'),
        frontmatter: file.frontmatter ?? null,
      });
    }
    const root = skill.uri.slice(0, -'/SKILL.md'.length);
    const directory = await skills.readDirectory(root);
    const { skill: got } = await skills.get(skill.uri);
    out.skills.push({
      uri: skill.uri,
      frontmatter: skill.frontmatter,
      resources: skill.resources,
      files,
      directory: directory.resources.map((r) => ({ uri: r.uri, name: r.name, mimeType: r.mimeType ?? null, size: r.size ?? null })),
      getIsTheListedEntry: JSON.stringify(got) === JSON.stringify(skill),
    });
  }
  for (const probe of JSON.parse(probesJson || '[]')) {
    try {
      if (probe.kind === 'get') await skills.get(probe.uri);
      else if (probe.kind === 'read') await client.readResource({ uri: probe.uri });
      else await skills.readDirectory(probe.uri);
      out.probes.push({ ...probe, refused: false });
    } catch (e) {
      out.probes.push({ ...probe, refused: true, code: e.code ?? null, message: String(e.message) });
    }
  }
  await client.close();
  console.log(JSON.stringify(out));
} catch (e) {
  const status = e && e.code !== undefined ? ` (code ${e.code})` : '';
  console.error(String(e && e.message ? e.message : e) + status);
  process.exit(2);
}
