// Skillsets and their abilities, and the integrations that serve them: a
// skill server (`/integration/skillserver/{id}`) or an MCP server
// (`/integration/mcpserver/{id}/mcp`). A new integration's access token is
// shown once.
import { action, el, fill, form, refresh, shownOnce, table } from '../dom.js';
import { api, may, path } from '../session.js';

const KINDS = [['skillserver', 'Skill server'], ['mcpserver', 'MCP server']];
const endpoint = (kind, id) => (kind === 'skillserver' ? `/integration/skillserver/${id}` : `/integration/mcpserver/${id}/mcp`);

// A token just minted, shown on the next draw only.
let minted = null;

async function abilities(skillset, body) {
  const page = await api(`/api/v1/skillset/${path(skillset.id)}/ability/list?take=100`);
  fill(body, page.items.length
    ? el('ul', {}, page.items.map((a) => el('li', {}, `${a.toolName} (${a.kind}, ${a.status}): ${a.description}`)))
    : el('p', {}, 'No abilities yet.'));
}

function skillsetItem(skillset) {
  const body = el('div', {}, el('p', {}, 'Loading…'));
  const details = el('details', { class: 'item', 'data-skillset': skillset.name },
    el('summary', {}, el('strong', {}, skillset.name), ` ${skillset.description}`), body,
    may('skills:write') ? action(`Delete skillset ${skillset.name}`, () => api(`/api/v1/skillset/${path(skillset.id)}/delete`, { method: 'POST', body: {} })) : null);
  details.addEventListener('toggle', () => {
    if (details.open) abilities(skillset, body).catch((e) => fill(body, el('p', { role: 'alert' }, e.message)));
  }, { once: true });
  return details;
}

export async function skillsets() {
  const [sets, ...integrations] = await Promise.all([
    api('/api/v1/skillset/list?take=100'),
    ...KINDS.map(([kind]) => api(`/api/v1/integration/${kind}/list?take=100`)),
  ]);
  const names = new Map(sets.items.map((s) => [s.id, s.name]));
  const write = may('skills:write');
  const shown = minted;
  minted = null;
  const rows = KINDS.flatMap(([kind, noun], i) => integrations[i].items.map((integration) => [
    integration.name ?? '(unnamed)', noun, names.get(integration.skillsetId) ?? integration.skillsetId,
    el('code', {}, `${location.origin}${endpoint(kind, integration.id)}`),
    write ? action('Delete', () => api(`/api/v1/integration/${kind}/${path(integration.id)}/delete`, { method: 'POST', body: {} }),
      { name: `Delete integration ${integration.name ?? integration.id}` }) : '',
  ]));
  return [el('h2', {}, 'Skillsets and integrations'),
    shown ? shownOnce(`The access token of ${shown.name}.`, shown.token) : null,
    write ? form('New skillset', [['name', 'Skillset name', { required: true, maxlength: '128' }], ['description', 'What it is for', { required: true, maxlength: '4096' }]],
      'Create skillset', async (values) => {
        await api('/api/v1/skillset/create', { method: 'POST', body: values });
        refresh();
      }) : null,
    sets.items.length ? sets.items.map(skillsetItem) : el('p', {}, 'No skillsets yet.'),
    el('h3', {}, 'Integrations'),
    write && sets.items.length ? form('New integration', [
      ['kind', 'Serve it as', { options: KINDS }],
      ['skillsetId', 'Skillset', { options: sets.items.map((s) => [s.id, s.name]) }],
      ['name', 'Integration name', { required: true, maxlength: '128' }],
    ], 'Create integration', async (values) => {
      const created = await api(`/api/v1/integration/${values.kind}/create`, { method: 'POST', body: { skillsetId: values.skillsetId, name: values.name } });
      minted = { name: values.name, token: created.accessToken };
      refresh();
    }) : null,
    rows.length ? table('Integrations', ['Name', 'Kind', 'Skillset', 'Endpoint', ''], rows) : el('p', {}, 'No integrations yet.')];
}
