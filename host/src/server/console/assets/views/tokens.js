// API tokens: mint (the secret shown once), list, revoke; a token may be
// bound to one agent.
import { action, el, form, refresh, shownOnce, table } from '../dom.js';
import { api, path } from '../session.js';

let minted = null;

export async function tokens() {
  const [page, agents] = await Promise.all([api('/api/tokens'), api('/api/agents')]);
  const names = new Map(agents.agents.map((a) => [a.id, a.name]));
  const shown = minted;
  minted = null;
  const rows = page.tokens.map((token) => [
    token.name, token.scopes.join(', '), token.agentId ? names.get(token.agentId) ?? token.agentId : 'any agent',
    token.createdAt, token.revokedAt ? `revoked ${token.revokedAt}` : 'active',
    token.revokedAt || token.operator ? '' : action('Revoke', () => api(`/api/tokens/${path(token.id)}`, { method: 'DELETE' }), { name: `Revoke ${token.name}` }),
  ]);
  return [el('h2', {}, 'Tokens'),
    shown ? shownOnce(`The secret of the token ${shown.name}.`, shown.secret) : null,
    form('New token', [
      ['name', 'Token name', { required: true, maxlength: '128' }],
      ['scopes', 'Scopes', { type: 'checkboxes', options: [['skills:read', 'skills:read (see skills, call them)', true], ['skills:write', 'skills:write (install and change skills)'], ['admin', 'admin (approve, secrets, tokens)']] }],
      ['agent', 'Bound to agent', { options: [['', 'no agent: any agent of the tenant'], ...agents.agents.map((a) => [a.id, a.name])] }],
    ], 'Mint token', async (values) => {
      const body = { name: values.name, scopes: values.scopes, ...(values.agent ? { agentId: values.agent } : {}) };
      const created = await api('/api/tokens', { method: 'POST', body });
      minted = { name: values.name, secret: created.token.secret };
      refresh();
    }),
    table('Tokens of this tenant', ['Name', 'Scopes', 'Agent', 'Created', 'State', ''], rows)];
}
