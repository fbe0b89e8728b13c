// Secrets: create, replace, delete. A value goes to the API and leaves
// the page at once; it is never shown again.
import { action, el, form, refresh, table } from '../dom.js';
import { api, path } from '../session.js';

export async function secrets() {
  const page = await api('/api/v1/secret/list?take=100');
  const rows = page.items.map((secret) => [
    secret.name, secret.reference, secret.createdAt ?? '',
    [form(`Replace ${secret.name}`, [['value', `New value for ${secret.name}`, { type: 'password', required: true }]], 'Replace value',
      async (values) => {
        await api(`/api/v1/secret/${path(secret.id)}/update`, { method: 'POST', body: { value: values.value } });
        refresh();
      }),
    action(`Delete ${secret.name}`, () => api(`/api/v1/secret/${path(secret.id)}/delete`, { method: 'POST', body: {} }))],
  ]);
  return [el('h2', {}, 'Secrets'),
    el('p', {}, 'A value is never shown again once saved.'),
    form('New secret', [['name', 'Name', { required: true }], ['value', 'Value', { type: 'password', required: true }],
      ['type', 'Type', { options: [['plain', 'plain'], ['bearer', 'bearer (sent as Bearer value)'], ['basic', 'basic (user:password)']] }]],
    'Create secret', async (values) => {
      await api('/api/v1/secret/create', { method: 'POST', body: values });
      refresh();
    }),
    table('Secrets of this tenant', ['Name', 'Reference', 'Created', ''], rows)];
}
