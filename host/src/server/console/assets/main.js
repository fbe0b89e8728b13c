// The operator console's shell: sign-in and sign-out, the views a token's
// scopes allow, and drawing the chosen one. A client of the public API
// like any other (`session.js`); the views are in `views/`.
import { el } from './dom.js';
import { api, forget, keep, kept, may, session } from './session.js';
import { approvals } from './views/approvals.js';
import { agents } from './views/agents.js';
import { audit } from './views/audit.js';
import { secrets } from './views/secrets.js';
import { skills } from './views/skills.js';
import { skillsets } from './views/skillsets.js';
import { tenants } from './views/tenants.js';
import { tokens } from './views/tokens.js';

const VIEWS = { approvals, skills, agents, skillsets, secrets, tokens, audit, tenants };
const $ = (id) => document.getElementById(id);
let current = 'approvals';

function allowed(button) {
  const needs = button.dataset.needs;
  if (!needs) return true;
  if (needs === 'operator') return Boolean(session.me?.operator);
  return may(needs);
}

function signOut(message = '') {
  forget();
  $('who').textContent = '';
  $('sign-out').hidden = true;
  $('views').hidden = true;
  $('view').replaceChildren();
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
  $('token').focus();
}

async function signIn(secret) {
  keep(secret);
  try {
    session.me = await api('/api/me');
  } catch (e) {
    if (e.message !== 'signed out') signOut(e.message);
    return;
  }
  $('sign-in').hidden = true;
  $('sign-in-error').textContent = '';
  for (const button of $('views').querySelectorAll('button')) button.hidden = !allowed(button);
  $('sign-out').hidden = false;
  $('views').hidden = false;
  const me = session.me;
  const bound = me.agent ? `, as agent ${me.agent.name}` : '';
  $('who').textContent = `${me.tenant.name}: ${me.scopes.join(', ')}${me.operator ? ' (operator)' : ''}${bound}`;
  await show('approvals');
  $('view').querySelector('h2')?.focus();
}

async function show(name) {
  current = name;
  for (const button of $('views').querySelectorAll('button')) {
    if (button.dataset.view === name) button.setAttribute('aria-current', 'page');
    else button.removeAttribute('aria-current');
  }
  try {
    const parts = [await VIEWS[name]()].flat(2);
    // The heading takes focus after a change of view, so that a keyboard
    // or screen-reader user lands on what was drawn.
    parts.find((node) => node instanceof HTMLElement && node.tagName === 'H2')?.setAttribute('tabindex', '-1');
    $('view').replaceChildren(...parts.filter((node) => node !== null && node !== undefined));
  } catch (e) {
    if (e.message !== 'signed out') $('view').replaceChildren(el('p', { role: 'alert' }, e.message));
  }
}

window.addEventListener('console:signed-out', (event) => signOut(event.detail));
window.addEventListener('console:refresh', () => show(current));
$('sign-in').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $('token');
  const secret = input.value.trim();
  input.value = '';
  signIn(secret);
});
$('sign-out').addEventListener('click', () => signOut('Signed out.'));
for (const button of $('views').querySelectorAll('button')) {
  button.addEventListener('click', async () => {
    await show(button.dataset.view);
    $('view').querySelector('h2')?.focus();
  });
}
const secret = kept();
if (secret) signIn(secret);
