// The operator console: a client of the public API like any other. The
// token lives in this tab's sessionStorage only (never a cookie, never a
// URL) and is forgotten after IDLE_MS without use. Every text that comes
// from the API is put in the page with textContent: a skill's description
// is shown, never run.
const TOKEN = 'skillhost.token';
const USED = 'skillhost.used';
const IDLE_MS = 30 * 60 * 1000;

const $ = (id) => document.getElementById(id);
let me = null;

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(name, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function token() {
  const used = Number(sessionStorage.getItem(USED) ?? 0);
  if (Date.now() - used > IDLE_MS) {
    sessionStorage.removeItem(TOKEN);
    return null;
  }
  return sessionStorage.getItem(TOKEN);
}

async function api(path, { method = 'GET', body } = {}) {
  const secret = token();
  if (!secret) {
    signOut('Signed out after 30 minutes without use.');
    throw new Error('signed out');
  }
  sessionStorage.setItem(USED, String(Date.now()));
  const response = await fetch(path, {
    method,
    headers: { Authorization: `Bearer ${secret}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) {
    signOut(data.error ?? 'The token is no longer valid.');
    throw new Error('signed out');
  }
  if (!response.ok) throw new Error(`${data.error ?? response.statusText} (${response.status})`);
  return data;
}

function may(scope) {
  return me && (me.scopes.includes(scope) || me.scopes.includes('admin'));
}

function signOut(message = '') {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(USED);
  me = null;
  $('who').textContent = '';
  $('sign-out').hidden = true;
  $('views').hidden = true;
  $('view').replaceChildren();
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
}

async function signIn(secret) {
  sessionStorage.setItem(TOKEN, secret);
  sessionStorage.setItem(USED, String(Date.now()));
  try {
    me = await api('/api/me');
  } catch (e) {
    if (e.message !== 'signed out') signOut(e.message);
    return;
  }
  $('sign-in').hidden = true;
  $('sign-in-error').textContent = '';
  for (const button of $('views').querySelectorAll('[data-needs]')) button.hidden = !may(button.dataset.needs);
  $('sign-out').hidden = false;
  $('views').hidden = false;
  const bound = me.agent ? `, as agent ${me.agent.name}` : '';
  $('who').textContent = `${me.tenant.name}: ${me.scopes.join(', ')}${me.operator ? ' (operator)' : ''}${bound}`;
  show('approvals');
}

// What a skill asks for, in words.
function asks(capabilities = {}, limits = {}) {
  const lines = [];
  for (const host of capabilities.network ?? []) lines.push(`reach ${host}`);
  for (const path of capabilities.fs_read ?? []) lines.push(`read files in ${path}`);
  for (const path of capabilities.fs_write ?? []) lines.push(`write files in ${path}`);
  for (const name of capabilities.env ?? []) lines.push(`read the environment variable ${name}`);
  for (const name of capabilities.secrets ?? []) lines.push(`use the secret ${name}`);
  if (limits.timeout_ms ?? limits.timeoutMs) lines.push(`run up to ${limits.timeout_ms ?? limits.timeoutMs} ms a call`);
  if (limits.memory_mb ?? limits.memoryMb) lines.push(`use up to ${limits.memory_mb ?? limits.memoryMb} MB of memory`);
  return lines;
}

function asksList(skill) {
  const diff = new Set(asks(skill.capabilityDiff ?? {}));
  const lines = asks(skill.capabilities, skill.limits);
  if (!lines.length) return el('p', {}, 'Asks for nothing: no network, files, environment or secrets.');
  return [el('p', {}, 'Asks to:'),
    el('ul', { class: 'asks' }, lines.map((line) => el('li', {}, line, diff.has(line) ? el('span', { class: 'new' }, ' (new)') : null)))];
}

function decide(label, action, view = 'approvals') {
  return el('button', {
    type: 'button',
    onclick: async (event) => {
      event.target.disabled = true;
      try {
        await action();
        show(view);
      } catch (e) {
        event.target.after(el('span', { role: 'alert' }, ` ${e.message}`));
      }
    },
  }, label);
}

async function approvals() {
  const waiting = await api('/api/approvals');
  const admin = may('admin');
  const items = [];
  for (const skill of waiting.skills) {
    const update = skill.pendingUpdate;
    items.push(el('article', { class: 'item', 'data-kind': 'skill' },
      el('h3', {}, `Skill ${skill.name} ${update ? update.version : skill.version}`),
      el('p', {}, skill.description),
      update ? el('p', {}, update.digest !== skill.digest ? 'New content: the code changed.' : 'New content.') : null,
      asksList(skill),
      admin ? decide(`Approve ${skill.name}`, () => api(`/api/skills/${encodeURIComponent(skill.id)}/approve`, { method: 'POST' })) : null));
  }
  for (const ability of waiting.abilities) {
    items.push(el('article', { class: 'item', 'data-kind': 'ability' },
      el('h3', {}, `Ability ${ability.name}`), el('p', {}, ability.description),
      admin ? decide(`Approve ${ability.name}`, () => api(`/api/v1/skillset/${encodeURIComponent(ability.skillsetId)}/ability/${encodeURIComponent(ability.id)}/approve`, { method: 'POST', body: {} })) : null));
  }
  for (const server of waiting.mcpServers) {
    items.push(el('article', { class: 'item', 'data-kind': 'mcp-server' },
      el('h3', {}, `MCP server ${server.name}`), el('p', {}, `Reaches ${server.url}`),
      admin ? decide(`Approve ${server.name}`, () => api(`/api/agents/${encodeURIComponent(server.agent_id)}/mcp/servers/${encodeURIComponent(server.name)}/approve`, { method: 'POST', body: {} })) : null));
  }
  for (const task of waiting.tasks) {
    items.push(el('article', { class: 'item', 'data-kind': 'task' },
      el('h3', {}, `Request: ${task.kind} ${task.subject}`), el('p', {}, task.reason),
      admin ? [
        decide('Approve request', () => api(`/api/tasks/${encodeURIComponent(task.id)}/approve`, { method: 'POST', body: {} })),
        decide('Deny request', () => api(`/api/tasks/${encodeURIComponent(task.id)}/deny`, { method: 'POST', body: {} })),
      ] : null));
  }
  return [el('h2', {}, `Waiting for approval (${waiting.total})`), items.length ? items : el('p', {}, 'Nothing waits.')];
}

async function skills() {
  const page = await api('/api/skills?limit=100');
  const rows = page.skills.map((skill) => el('tr', {},
    el('td', {}, skill.name), el('td', {}, skill.version), el('td', {}, skill.kind), el('td', {}, skill.status),
    el('td', {}, skill.description)));
  return [el('h2', {}, 'Skills'), el('table', {},
    el('thead', {}, el('tr', {}, ['Name', 'Version', 'Kind', 'Status', 'Description'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows))];
}

// A form of labelled fields; `fields` are [name, label, attributes].
function form(title, fields, submit, onSubmit) {
  const node = el('form', { 'aria-label': title },
    fields.map(([name, label, attributes = {}]) => [
      el('label', { for: `f-${name}` }, label),
      attributes.options
        ? el('select', { id: `f-${name}`, name }, attributes.options.map(([value, text]) => el('option', { value }, text)))
        : el('input', { id: `f-${name}`, name, autocomplete: 'off', ...attributes }),
    ]),
    el('button', { type: 'submit' }, submit),
    el('p', { role: 'alert' }));
  node.addEventListener('submit', async (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(node));
    // Whatever was typed (a secret's value) leaves the page at once.
    node.reset();
    try {
      await onSubmit(values);
    } catch (e) {
      node.querySelector('[role="alert"]').textContent = e.message;
    }
  });
  return node;
}

async function secrets() {
  const page = await api('/api/v1/secret/list?take=100');
  const rows = page.items.map((secret) => el('tr', {},
    el('td', {}, secret.name), el('td', {}, secret.reference), el('td', {}, secret.createdAt ?? ''),
    el('td', {},
      form(`Replace ${secret.name}`, [[`value-${secret.id}`, `New value for ${secret.name}`, { type: 'password', required: '' }]], 'Replace value',
        async (values) => {
          await api(`/api/v1/secret/${encodeURIComponent(secret.id)}/update`, { method: 'POST', body: { value: values[`value-${secret.id}`] } });
          show('secrets');
        }),
      decide(`Delete ${secret.name}`,
        () => api(`/api/v1/secret/${encodeURIComponent(secret.id)}/delete`, { method: 'POST', body: {} }), 'secrets'))));
  return [el('h2', {}, 'Secrets'),
    el('p', {}, 'A value is never shown again once saved.'),
    form('New secret', [['name', 'Name', { required: '' }], ['value', 'Value', { type: 'password', required: '' }],
      ['type', 'Type', { options: [['plain', 'plain'], ['bearer', 'bearer (sent as Bearer value)'], ['basic', 'basic (user:password)']] }]],
    'Create secret', async (values) => {
      await api('/api/v1/secret/create', { method: 'POST', body: values });
      show('secrets');
    }),
    el('table', {},
      el('thead', {}, el('tr', {}, ['Name', 'Reference', 'Created', ''].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows))];
}

let auditFilter = {};

async function audit() {
  const query = new URLSearchParams({ limit: '50' });
  for (const [key, value] of Object.entries(auditFilter)) if (value) query.set(key, value);
  const page = await api(`/api/audit?${query}`);
  const filter = form('Filter the audit', [
    ['skill', 'Skill', {}], ['agent', 'Agent', {}],
    ['outcome', 'Outcome', { options: [['', 'any'], ['success', 'success'], ['invalid_input', 'invalid input'], ['failed', 'failed'], ['denied', 'denied'], ['timeout', 'timeout'], ['not_found', 'not found']] }],
    ['since', 'Since (RFC 3339)', {}],
  ], 'Filter', async (values) => {
    auditFilter = values;
    show('audit');
  });
  const records = page.invocations.map((record) => el('details', { class: 'item', 'data-outcome': record.outcome },
    el('summary', {}, `${record.createdAt} ${record.agentName ?? '-'} ${record.skillName}.${record.ability}: ${record.outcome}`),
    el('pre', {}, JSON.stringify(record, null, 2))));
  return [el('h2', {}, 'Audit'), filter, records.length ? records : el('p', {}, 'No calls match.')];
}

const VIEWS = { approvals, skills, secrets, audit };

async function show(name) {
  for (const button of $('views').querySelectorAll('button')) {
    if (button.dataset.view === name) button.setAttribute('aria-current', 'page');
    else button.removeAttribute('aria-current');
  }
  try {
    $('view').replaceChildren(...[await VIEWS[name]()].flat(2));
  } catch (e) {
    if (e.message !== 'signed out') $('view').replaceChildren(el('p', { role: 'alert' }, e.message));
  }
}

$('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('token');
  const secret = input.value.trim();
  input.value = '';
  signIn(secret);
});
$('sign-out').addEventListener('click', () => signOut('Signed out.'));
for (const button of $('views').querySelectorAll('button')) {
  button.addEventListener('click', () => show(button.dataset.view));
}
const kept = token();
if (kept) signIn(kept);
