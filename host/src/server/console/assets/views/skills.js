// The catalog: each skill's kind, version, status and source, what it
// declares against what it was granted, and the agents using it; install
// from a URL or a file.
import { action, el, fill, form, refresh } from '../dom.js';
import { api, may, path } from '../session.js';
import { asks, gives, short } from '../words.js';

const ORIGINS = { upload: 'uploaded', url: 'from a URL', path: 'from a server path' };

function source(skill) {
  if (skill.sourceUrl) return `${skill.source} ${skill.sourceUrl}${skill.sourceRef ? ` (${skill.sourceRef})` : ''}`;
  return ORIGINS[skill.origin] ?? skill.origin;
}

async function detail(skill, body) {
  const { assignedAgents } = await api(`/api/skills/${path(skill.id)}`);
  const declared = asks(skill.capabilities, skill.limits);
  fill(body,
    el('div', { class: 'columns' },
      el('section', { 'aria-label': `${skill.name} declares` }, el('h4', {}, 'Declares'),
        declared.length ? el('ul', {}, declared.map((line) => el('li', {}, line))) : el('p', {}, 'nothing')),
      el('section', { 'aria-label': `${skill.name} is granted` }, el('h4', {}, 'Granted'),
        el('ul', {}, gives(skill.grant, skill.capabilities).map((line) => el('li', {}, line))))),
    el('p', {}, `Code ${short(skill.digest)}; abilities: ${skill.toolIds.join(', ') || 'none'}.`),
    skill.syncError ? el('p', { role: 'alert' }, `Last sync failed: ${skill.syncError}`) : null,
    el('h4', {}, 'Agents using it'),
    assignedAgents.length
      ? el('ul', {}, assignedAgents.map((a) => el('li', {}, `${a.agentName}${a.enabled ? '' : ' (disabled)'}`)))
      : el('p', {}, 'none'),
    may('skills:write') && (skill.sourceUrl || skill.origin === 'url')
      ? action(`Sync ${skill.name}`, () => api(`/api/skills/${path(skill.id)}/sync`, { method: 'POST' })) : null,
    may('skills:write') ? action(`Uninstall ${skill.name} ${skill.version}`, () => api(`/api/skills/${path(skill.id)}`, { method: 'DELETE' })) : null);
}

function row(skill) {
  const body = el('div', {}, el('p', {}, 'Loading…'));
  const details = el('details', { class: 'item', 'data-skill': skill.name, 'data-version': skill.version },
    el('summary', {}, el('strong', {}, skill.name), ` ${skill.version} · ${skill.kind} · ${skill.status} · ${source(skill)} · ${skill.assignedAgentsCount} agent(s)`),
    el('p', {}, skill.description), body);
  details.addEventListener('toggle', () => {
    if (details.open) detail(skill, body).catch((e) => fill(body, el('p', { role: 'alert' }, e.message)));
  }, { once: true });
  return details;
}

function install() {
  const byUrl = form('Install from a URL', [
    ['kind', 'What the URL holds', { options: [['component', 'a packaged component (.wasm)'], ['skill_md', 'a SKILL.md folder (repository URL)'], ['openapi_action', 'an OpenAPI document'], ['mcp_registry', 'an MCP registry']] }],
    ['url', 'URL', { type: 'url', required: true, placeholder: 'https://…' }],
    ['ref', 'Path in the repository, or registry server name (if any)', {}],
    ['sha256', 'sha256 the component must have (optional)', { pattern: '(sha256:)?[0-9a-fA-F]{64}' }],
  ], 'Install from URL', async (values) => {
    const body = values.kind === 'component'
      ? { sourceUrl: values.url, ...(values.sha256 ? { sha256: values.sha256 } : {}) }
      : { source: values.kind, sourceUrl: values.url, ...(values.ref ? { sourceRef: values.ref } : {}) };
    await api('/api/skills', { method: 'POST', body });
    refresh();
  });
  const byFile = form('Install from a file', [
    ['file', 'Packaged skill (.wasm)', { type: 'file', accept: '.wasm,application/wasm', required: true }],
  ], 'Install file', async (values) => {
    await api('/api/skills', { method: 'POST', body: values.file, contentType: 'application/wasm' });
    refresh();
  });
  return el('details', { class: 'install' }, el('summary', {}, 'Install a skill'),
    el('p', { class: 'hint' }, 'A skill installed by a writer waits for an admin\'s approval.'), byUrl, byFile);
}

export async function skills() {
  const page = await api('/api/skills?status=all&limit=100');
  return [el('h2', {}, 'Skills'),
    may('skills:write') ? install() : null,
    page.skills.length ? page.skills.map(row) : el('p', {}, 'No skills installed.')];
}
