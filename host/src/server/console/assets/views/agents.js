// Agents: their skills (enable, disable, narrow, detach), attached
// skillsets and remote MCP servers.
import { action, el, fill, form, refresh } from '../dom.js';
import { api, may, path, session } from '../session.js';

function narrowed(capabilities = {}) {
  const parts = [];
  if (capabilities.network) parts.push(capabilities.network.length ? `only ${capabilities.network.join(', ')}` : 'no network');
  if (capabilities.allowPrivateNetwork === false) parts.push('no private networks');
  if (capabilities.mounts) parts.push(capabilities.mounts.length ? `only ${capabilities.mounts.join(', ')}` : 'no files');
  return parts.length ? `narrowed: ${parts.join('; ')}` : 'as approved';
}

function skillRow(agent, attached, write) {
  const skill = attached.skill;
  const assignment = `/api/skills/${path(attached.skillId)}/assignments/${path(agent.id)}`;
  const patch = (body) => api(assignment, { method: 'PATCH', body });
  return el('li', { 'data-skill': skill.name },
    el('span', {}, `${skill.name} ${skill.version}: ${attached.enabled ? 'enabled' : 'disabled'}, ${narrowed(attached.capabilities)}`),
    write ? [
      ' ',
      attached.enabled
        ? action('Disable', () => patch({ enabled: false }), { name: `Disable ${skill.name} for ${agent.name}` })
        : action('Enable', () => patch({ enabled: true }), { name: `Enable ${skill.name} for ${agent.name}` }),
      action('Detach', () => api(`/api/skills/${path(attached.skillId)}/unassign/${path(agent.id)}`, { method: 'DELETE' }), { name: `Detach ${skill.name} from ${agent.name}` }),
      el('details', { class: 'narrow' }, el('summary', {}, `Narrow ${skill.name} for ${agent.name}`),
        form(`Narrow ${skill.name} for ${agent.name}`, [
          ['network', 'Only these destinations (comma-separated; empty: no network)', { value: (attached.capabilities?.network ?? []).join(', ') }],
          ['private', 'Private networks', { options: [['', 'as approved'], ['off', 'off']] }],
        ], 'Narrow', async (values) => {
          const network = values.network.split(',').map((s) => s.trim()).filter(Boolean);
          await patch({ capabilities: { network, ...(values.private === 'off' ? { allowPrivateNetwork: false } : {}) } });
          refresh();
        }),
        Object.keys(attached.capabilities ?? {}).length
          ? action('Undo narrowing', () => patch({ capabilities: {} }), { name: `Undo narrowing of ${skill.name} for ${agent.name}` }) : null),
    ] : null);
}

async function detail(agent, body, catalog, skillsets) {
  const base = `/api/agents/${path(agent.name)}`;
  const [attached, sets, servers] = await Promise.all([
    api(`${base}/attached-skills`), api(`${base}/skillsets`), api(`${base}/mcp/servers`),
  ]);
  const write = may('skills:write');
  const attachedIds = new Set(attached.map((a) => a.skillId));
  const attachable = catalog.filter((skill) => !attachedIds.has(skill.id) && skill.status === 'active');
  const setIds = new Set(sets.skillsets.map((s) => s.id));
  const attachableSets = skillsets.filter((s) => !setIds.has(s.id));
  fill(body,
    el('h4', {}, 'Skills'),
    attached.length ? el('ul', {}, attached.map((a) => skillRow(agent, a, write))) : el('p', {}, 'none'),
    write && attachable.length ? form(`Attach a skill to ${agent.name}`, [
      ['skill', 'Skill', { options: attachable.map((s) => [s.id, `${s.name} ${s.version}`]) }],
    ], 'Attach skill', async (values) => {
      await api(`/api/skills/${path(values.skill)}/assign`, { method: 'POST', body: { agentId: agent.id } });
      refresh();
    }) : null,
    el('h4', {}, 'Skillsets'),
    sets.skillsets.length ? el('ul', {}, sets.skillsets.map((s) => el('li', {},
      `${s.name}: ${s.activeAbilities} of ${s.abilities} abilities callable `,
      write ? action('Detach', () => api(`${base}/skillsets/${path(s.id)}`, { method: 'DELETE' }), { name: `Detach skillset ${s.name} from ${agent.name}` }) : null)))
      : el('p', {}, 'none'),
    write && attachableSets.length ? form(`Attach a skillset to ${agent.name}`, [
      ['skillset', 'Skillset', { options: attachableSets.map((s) => [s.id, s.name]) }],
    ], 'Attach skillset', async (values) => {
      await api(`${base}/skillsets/${path(values.skillset)}`, { method: 'PUT' });
      refresh();
    }) : null,
    el('h4', {}, 'MCP servers'),
    servers.servers.length ? el('ul', {}, servers.servers.map((s) => el('li', {},
      `${s.name} at ${s.url}: ${s.approval}, ${s.status}, ${s.tools_count} tools${s.error ? ` (${s.error})` : ''} `,
      write ? action('Remove', () => api(`${base}/mcp/servers/${path(s.name)}`, { method: 'DELETE' }), { name: `Remove MCP server ${s.name} from ${agent.name}` }) : null)))
      : el('p', {}, 'none'),
    write && !session.me.agent ? action(`Delete agent ${agent.name}`, () => api(base, { method: 'DELETE' })) : null);
}

// Agents left open stay open when the view is drawn again after a change.
const open = new Set();

export async function agents() {
  const [page, catalog, skillsets] = await Promise.all([
    api('/api/agents'), api('/api/skills?limit=100'), api('/api/v1/skillset/list?take=100'),
  ]);
  const rows = page.agents.map((agent) => {
    const body = el('div', {}, el('p', {}, 'Loading…'));
    const details = el('details', { class: 'item', 'data-agent': agent.name, open: open.has(agent.id) },
      el('summary', {}, el('strong', {}, agent.name), ` (${agent.kind}, since ${agent.createdAt})`), body);
    let loaded = false;
    const load = () => {
      if (loaded) return;
      loaded = true;
      detail(agent, body, catalog.skills, skillsets.items).catch((e) => fill(body, el('p', { role: 'alert' }, e.message)));
    };
    details.addEventListener('toggle', () => {
      if (details.open) {
        open.add(agent.id);
        load();
      } else {
        open.delete(agent.id);
      }
    });
    if (details.open) load();
    return details;
  });
  return [el('h2', {}, 'Agents'),
    may('skills:write') && !session.me.agent ? form('New agent', [['name', 'Agent name', { required: true, pattern: '[A-Za-z0-9._\\-]+', maxlength: '64' }]], 'Create agent', async (values) => {
      await api('/api/agents', { method: 'POST', body: { name: values.name } });
      refresh();
    }) : null,
    rows.length ? rows : el('p', {}, 'No agents yet.')];
}
