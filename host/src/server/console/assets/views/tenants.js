// The operator's view of every tenant: create one (its first admin token
// shown once), and whether it may approve private networks.
import { action, el, form, refresh, shownOnce, table } from '../dom.js';
import { api, path } from '../session.js';

let minted = null;

export async function tenants() {
  const page = await api('/api/tenants');
  const shown = minted;
  minted = null;
  const rows = page.tenants.map((tenant) => [
    tenant.name, tenant.createdAt, tenant.allowPrivateNetwork ? 'may approve private networks' : 'public networks only',
    action(tenant.allowPrivateNetwork ? 'Refuse private networks' : 'Allow private networks',
      () => api(`/api/tenants/${path(tenant.id)}`, { method: 'PATCH', body: { allowPrivateNetwork: !tenant.allowPrivateNetwork } }),
      { name: `${tenant.allowPrivateNetwork ? 'Refuse' : 'Allow'} private networks for ${tenant.name}` }),
  ]);
  return [el('h2', {}, 'Tenants'),
    shown ? shownOnce(`The first admin token of the tenant ${shown.name}.`, shown.secret) : null,
    form('New tenant', [['name', 'Tenant name', { required: true }]], 'Create tenant', async (values) => {
      const created = await api('/api/tenants', { method: 'POST', body: { name: values.name } });
      minted = { name: values.name, secret: created.token.secret };
      refresh();
    }),
    table('Tenants', ['Name', 'Created', 'Private networks', ''], rows)];
}
