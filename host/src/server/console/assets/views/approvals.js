// One queue of everything waiting for an admin, each item in plain words,
// with what a new version changes against the approved one. Approve as
// shown, approve a narrowed grant, or deny.
import { action, el, form } from '../dom.js';
import { api, may, path } from '../session.js';
import { asks, limitWords, short } from '../words.js';

function list(title, lines, mark) {
  if (!lines.length) return null;
  return [el('p', {}, title), el('ul', { class: `asks ${mark ?? ''}` }, lines.map((line) => el('li', {}, line, mark === 'added' ? el('span', { class: 'new' }, ' (new)') : null)))];
}

// What the version under review asks, against the approved one.
function change(skill) {
  const c = skill.change;
  const added = new Set(asks(c.added));
  const removed = asks(c.removed);
  const limits = limitWords(c.limits);
  const before = c.approved ? new Set(limitWords(c.approved.limits)) : new Set();
  const declared = asks(c.capabilities);
  const parts = [];
  if (c.approved) {
    parts.push(el('p', { class: 'versions' }, `Version ${c.version} would replace the approved ${c.approved.version}.`));
    parts.push(el('p', { class: c.codeChanged ? 'code changed' : 'code' },
      c.codeChanged ? `The code changed: ${short(c.approved.digest)} → ${short(c.digest)}.` : 'The code is the same.'));
  } else {
    parts.push(el('p', { class: 'versions' }, `New skill, version ${c.version} (code ${short(c.digest)}).`));
  }
  if (!declared.length && !limits.length) parts.push(el('p', {}, 'Asks for nothing: no network, files, environment or secrets.'));
  if (c.approved) {
    // Against the approved version: what it keeps, what is new, what is gone.
    parts.push(list('Asks to, as before:', declared.filter((line) => !added.has(line)).concat(limits.filter((line) => before.has(line)))));
    parts.push(list('Newly asks to:', [...added], 'added'));
    parts.push(list('Limits that changed:', limits.filter((line) => !before.has(line)), 'added'));
    parts.push(list('No longer asks to:', removed, 'removed'));
  } else {
    parts.push(list('Asks to:', declared.concat(limits)));
  }
  if (skill.review?.inherits?.length) parts.push(el('p', {}, `Would receive what the approved grant gives: ${skill.review.inherits.join(', ')}.`));
  if (skill.review?.reason) parts.push(el('p', {}, skill.review.reason));
  return parts;
}

// Approve with a narrower grant: fewer destinations, lower limits. A grant
// that sets environment values cannot be rebuilt here (their values are
// never shown), so it is approved as proposed or through the API.
function narrowing(skill) {
  const c = skill.change;
  const proposed = skill.grant;
  if (proposed?.env?.length) return el('p', { class: 'hint' }, 'This grant sets environment values: approve it as proposed, or narrow it through the API.');
  const network = c.capabilities.network ?? [];
  const granted = proposed?.network ?? null;
  const specs = [];
  if (network.length) {
    specs.push(['network', 'Destinations it may reach', {
      type: 'checkboxes', options: network.map((host) => [host, host, granted === null || granted.includes(host)]),
      hint: 'Unchecked destinations are refused.',
    }]);
  }
  const limit = (key) => c.limits?.[key] ?? proposed?.limits?.[key] ?? '';
  specs.push(['timeoutMs', 'Time per call (ms)', { type: 'number', min: '1', value: limit('timeoutMs') || limit('timeout_ms') }]);
  specs.push(['memoryMb', 'Memory (MB)', { type: 'number', min: '1', value: limit('memoryMb') || limit('memory_mb') }]);
  return el('details', { class: 'narrow' }, el('summary', {}, 'Narrow the grant before approving'),
    form(`Narrow ${skill.name}`, specs, `Approve ${skill.name} narrowed`, async (values) => {
      const limits = {};
      if (values.timeoutMs) limits.timeoutMs = Number(values.timeoutMs);
      if (values.memoryMb) limits.memoryMb = Number(values.memoryMb);
      const mounts = {};
      for (const [guest, mount] of Object.entries(proposed?.mounts ?? {})) if (mount.volume) mounts[guest] = mount;
      await approveSkill(skill, {
        network: network.length ? values.network : null,
        limits,
        mounts,
        secrets: proposed?.secrets ?? {},
        inject: proposed?.inject ?? [],
      });
      window.dispatchEvent(new CustomEvent('console:refresh'));
    }));
}

// The digest reviewed goes with the approval: a version that changed
// since is refused (409), not approved unseen.
function approveSkill(skill, grant = {}) {
  return api(`/api/skills/${path(skill.id)}/approve`, { method: 'POST', body: { digest: skill.change.digest, ...grant } });
}

function skillItem(skill, admin) {
  const update = skill.pendingUpdate;
  return el('article', { class: 'item', 'data-kind': 'skill', 'aria-label': `Skill ${skill.name} ${skill.change.version}` },
    el('h3', {}, `Skill ${skill.name} ${skill.change.version}`),
    el('p', {}, skill.description),
    update ? el('p', {}, 'New content from its source; the approved content serves until this is decided.') : null,
    change(skill),
    admin ? [
      action(`Approve ${skill.name}`, () => approveSkill(skill)),
      update ? null : action(`Deny ${skill.name}`, () => api(`/api/skills/${path(skill.id)}`, { method: 'DELETE' })),
      narrowing(skill),
    ] : null);
}

export async function approvals() {
  const [waiting, agents] = await Promise.all([api('/api/approvals'), api('/api/agents')]);
  const agentName = new Map(agents.agents.map((agent) => [agent.id, agent.name]));
  const admin = may('admin');
  const items = waiting.skills.map((skill) => skillItem(skill, admin));
  for (const ability of waiting.abilities) {
    const base = `/api/v1/skillset/${path(ability.skillsetId)}/ability/${path(ability.id)}`;
    items.push(el('article', { class: 'item', 'data-kind': 'ability', 'aria-label': `Ability ${ability.name}` },
      el('h3', {}, `Ability ${ability.name}`), el('p', {}, ability.description),
      ability.instruction ? [el('p', {}, 'Runs this instruction:'), el('pre', {}, ability.instruction)] : null,
      ability.allowPrivateNetwork ? el('p', {}, 'Reaches private networks.') : null,
      admin ? [
        action(`Approve ${ability.name}`, () => api(`${base}/approve`, { method: 'POST', body: {} })),
        action(`Deny ${ability.name}`, () => api(`${base}/delete`, { method: 'POST', body: {} })),
      ] : null));
  }
  for (const server of waiting.mcpServers) {
    const base = `/api/agents/${path(server.agent_id)}/mcp/servers/${path(server.name)}`;
    items.push(el('article', { class: 'item', 'data-kind': 'mcp-server', 'aria-label': `MCP server ${server.name}` },
      el('h3', {}, `MCP server ${server.name}`), el('p', {}, `Would let agent ${agentName.get(server.agent_id) ?? server.agent_id} reach ${server.url}`),
      admin ? [
        action(`Approve ${server.name}`, () => api(`${base}/approve`, { method: 'POST', body: {} })),
        action(`Deny ${server.name}`, () => api(base, { method: 'DELETE' })),
      ] : null));
  }
  for (const task of waiting.tasks) {
    items.push(el('article', { class: 'item', 'data-kind': 'task', 'aria-label': `Request ${task.subject}` },
      el('h3', {}, `Request: ${task.kind} ${task.subject}`), el('p', {}, task.reason),
      admin ? [
        action('Approve request', () => api(`/api/tasks/${path(task.id)}/approve`, { method: 'POST', body: {} }), { name: `Approve request ${task.subject}` }),
        action('Deny request', () => api(`/api/tasks/${path(task.id)}/deny`, { method: 'POST', body: {} }), { name: `Deny request ${task.subject}` }),
      ] : null));
  }
  return [el('h2', {}, `Waiting for approval (${waiting.total})`), items.length ? items : el('p', {}, 'Nothing waits.')];
}
