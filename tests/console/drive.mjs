// Drives the operator console in Debian's Chromium, headless, with
// playwright-core: what a person at the console would do, and what they
// would see.
//
//   node drive.mjs BASE_URL SCREENSHOT_DIR
//
// Tokens and fixtures come in the environment: ADMIN, READER, OPERATOR,
// OTHER_TENANT (another tenant's admin), PENDING_SKILL (a skill id the
// reader tries to approve), INSTALL_FILE (a packaged skill to upload).
// Prints one JSON object of observations; screenshots of each view go to
// SCREENSHOT_DIR. Exits 2 with the failed step and the page's text on
// stderr when a step fails.
import { chromium } from 'playwright-core';

const [base, shots] = process.argv.slice(2);
const env = process.env;
const out = { dialogs: [], consoleErrors: [], unlabelled: [] };
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let page;
let step = 'start';

// Every visible control has a name a screen reader can say.
async function checkLabels(view) {
  const missing = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button, summary')]
    .filter((node) => node.offsetParent !== null)
    .filter((node) => {
      if (node.getAttribute('aria-label')) return false;
      if (['BUTTON', 'SUMMARY'].includes(node.tagName)) return !node.textContent.trim();
      return !(node.labels && node.labels.length);
    })
    .map((node) => node.outerHTML.slice(0, 120)));
  for (const html of missing) out.unlabelled.push(`${view}: ${html}`);
}

async function view(name, heading = name) {
  await page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name, exact: true }).click();
  await page.getByRole('heading', { name: heading, level: 2 }).waitFor();
}

async function signIn(token) {
  await page.getByLabel('API token').fill(token);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: /Waiting for approval/ }).waitFor();
}

async function signOut() {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#sign-in').waitFor();
}

const shot = (name) => page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
const bearer = (token, path, method = 'GET') => page.evaluate(async ([t, p, m]) => {
  const r = await fetch(p, { method: m, headers: { Authorization: `Bearer ${t}` } });
  return { status: r.status, body: await r.json().catch(() => null) };
}, [token, path, method]);

try {
  page = await browser.newPage();
  page.on('dialog', async (dialog) => {
    out.dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') out.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => out.consoleErrors.push(String(error)));
  step = 'open';
  const response = await page.goto(`${base}/console`);
  out.policy = response.headers()['content-security-policy'] ?? null;

  step = 'sign in with the keyboard';
  await signIn(env.ADMIN);
  out.who = await page.locator('#who').textContent();
  out.tokenInUrl = page.url().includes(env.ADMIN);
  out.tenantsButtonForAdmin = await page.getByRole('button', { name: 'Tenants' }).isVisible();
  await checkLabels('approvals');
  await shot('approvals');

  step = 'the pending version and what it changes';
  const version = page.getByRole('article', { name: 'Skill text-tools 1.1.0' });
  out.versionText = await version.innerText();
  out.newlyAsks = await version.locator('.asks.added li').allTextContents();
  // The hostile description is text: no element made of it, no script run.
  const hostile = page.locator('article[data-kind="skill"]', { hasText: 'Skill calc' });
  out.hostileText = await hostile.locator('p').first().textContent();
  out.injectedElements = await page.locator('article img, article script').count();

  step = 'approve the version with a narrowed grant';
  await version.getByText('Narrow the grant before approving').click();
  await version.getByLabel('https://other.example.com').uncheck();
  await version.getByLabel('Time per call (ms)').fill('1500');
  await version.getByRole('button', { name: 'Approve text-tools narrowed' }).click();
  await page.getByRole('article', { name: 'Skill text-tools 1.1.0' }).waitFor({ state: 'detached' });

  step = 'deny an MCP server';
  await page.getByRole('article', { name: 'MCP server remote' }).getByRole('button', { name: 'Deny remote' }).click();
  await page.getByRole('article', { name: 'MCP server remote' }).waitFor({ state: 'detached' });
  out.afterDecisions = await page.getByRole('heading', { name: /Waiting for approval/ }).textContent();

  step = 'keyboard: Tab to the Tokens view and open it';
  await page.evaluate(() => document.activeElement?.blur());
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.textContent === 'Tokens')) break;
  }
  out.keyboardReached = await page.evaluate(() => document.activeElement?.textContent);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Tokens', level: 2 }).waitFor();
  out.focusAfterView = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 60));

  step = 'mint an agent-bound token, shown once';
  await page.getByLabel('Token name').fill('bot reader');
  await page.getByLabel('Bound to agent').selectOption({ label: 'bot' });
  await page.getByRole('button', { name: 'Mint token' }).click();
  const minted = (await page.locator('.once output').textContent()).trim();
  out.mintedShape = /^shk_[0-9a-f]{64}$/.test(minted);
  const me = await bearer(minted, '/api/me');
  out.mintedMe = { status: me.status, scopes: me.body?.scopes, agent: me.body?.agent?.name };
  await checkLabels('tokens');
  await shot('tokens');
  await view('Skills');
  await view('Tokens');
  out.mintedAfterRedraw = (await page.content()).includes(minted);
  await page.getByRole('button', { name: 'Revoke bot reader' }).click();
  await page.getByRole('cell', { name: /^revoked/ }).waitFor();
  out.revokedStatus = (await bearer(minted, '/api/me')).status;

  step = 'install from a file';
  await view('Skills');
  await page.getByText('Install a skill').click();
  // A URL the server refuses to fetch: the reason, in the form.
  const byUrl = page.getByRole('form', { name: 'Install from a URL' });
  await byUrl.getByLabel('URL', { exact: true }).fill('http://127.0.0.1:9/skill.wasm');
  await byUrl.getByRole('button', { name: 'Install from URL' }).click();
  await byUrl.getByRole('alert').filter({ hasText: /\S/ }).waitFor();
  out.urlRefusal = await byUrl.getByRole('alert').textContent();
  await page.getByLabel('Packaged skill (.wasm)').setInputFiles(env.INSTALL_FILE);
  await page.getByRole('button', { name: 'Install file' }).click();
  await page.locator('details[data-skill="files"]').waitFor();
  out.installedRow = await page.locator('details[data-skill="files"] summary').innerText();
  // A new skill waits with everything it asks for.
  await view('Approvals', /Waiting for approval/);
  out.newSkillAsks = await page.getByRole('article', { name: 'Skill files 1.0.0' }).locator('.asks li').allTextContents();
  await view('Skills');

  step = 'a skill: declared against granted, and its agents';
  const detail = page.locator('details[data-skill="text-tools"][data-version="1.1.0"]');
  await detail.locator('summary').click();
  await detail.getByRole('heading', { name: 'Agents using it' }).waitFor();
  out.declared = await detail.getByRole('region', { name: 'text-tools declares' }).locator('li').allTextContents();
  out.granted = await detail.getByRole('region', { name: 'text-tools is granted' }).locator('li').allTextContents();
  out.usedBy = await detail.locator('h4:text("Agents using it") + ul li').allTextContents();
  await checkLabels('skills');
  await shot('skills');

  step = 'an agent: disable, narrow, detach';
  await view('Agents');
  await page.locator('details[data-agent="bot"] summary').click();
  await page.getByRole('button', { name: 'Disable text-tools for bot' }).click();
  await page.getByRole('button', { name: 'Enable text-tools for bot' }).waitFor();
  const assigned = page.locator('li[data-skill="text-tools"]');
  await assigned.getByText('Narrow text-tools for bot').click();
  await assigned.getByLabel('Only these destinations (comma-separated; empty: no network)').fill('');
  await assigned.getByRole('button', { name: 'Narrow', exact: true }).click();
  await page.locator('li[data-skill="text-tools"]', { hasText: 'narrowed: no network' }).waitFor();
  await page.getByRole('button', { name: 'Detach scratchpad from bot' }).click();
  await page.locator('li[data-skill="scratchpad"]').waitFor({ state: 'detached' });
  await page.locator('li[data-skill="text-tools"]').waitFor();
  out.botSkills = await page.locator('details[data-agent="bot"] li[data-skill] > span').allTextContents();
  await checkLabels('agents');
  await shot('agents');

  step = 'a skillset served as a skill server, its token shown once';
  await view('Skillsets', 'Skillsets and integrations');
  await page.getByLabel('Skillset name').fill('Support');
  await page.getByLabel('What it is for').fill('Answers support questions');
  await page.getByRole('button', { name: 'Create skillset' }).click();
  await page.locator('details[data-skillset="Support"]').waitFor();
  await page.getByLabel('Integration name').fill('helpdesk');
  await page.getByRole('button', { name: 'Create integration' }).click();
  const access = (await page.locator('.once output').textContent()).trim();
  const endpoint = await page.getByRole('cell', { name: /\/integration\/skillserver\// }).textContent();
  out.integration = (await bearer(access, new URL(endpoint).pathname)).status;
  out.integrationWrongToken = (await bearer('sks_wrong', new URL(endpoint).pathname)).status;
  await checkLabels('skillsets');
  await shot('skillsets');
  await view('Agents');
  await view('Skillsets', 'Skillsets and integrations');
  out.accessAfterRedraw = (await page.content()).includes(access);

  step = 'a secret, never shown again';
  const value = 'sv-0123-console-secret-value';
  await view('Secrets');
  await page.getByLabel('Name', { exact: true }).fill('console key');
  await page.getByLabel('Value', { exact: true }).fill(value);
  await page.getByRole('button', { name: 'Create secret' }).click();
  await page.getByRole('cell', { name: 'console key', exact: true }).waitFor();
  out.secretInPage = (await page.content()).includes(value);
  out.secretInInputs = await page.evaluate((v) => [...document.querySelectorAll('input')].some((i) => i.value === v), value);
  await checkLabels('secrets');
  await shot('secrets');

  step = 'the audit, filtered to the one failed call, and its receipt';
  await view('Audit');
  await page.getByLabel('Outcome').selectOption('invalid_input');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForFunction(() => {
    const shown = [...document.querySelectorAll('details.item')];
    return shown.length > 0 && shown.every((d) => d.dataset.outcome === 'invalid_input');
  });
  out.auditShown = await page.locator('details.item').count();
  await page.locator('details.item > summary').first().click();
  out.receiptWords = await page.locator('details.item .receipt li').first().textContent();
  await page.locator('details.item details > summary').first().click();
  out.receipt = await page.locator('details.item pre').first().textContent();
  await checkLabels('audit');
  await shot('audit');

  step = 'sign out';
  await signOut();
  out.storedAfterSignOut = await page.evaluate(() => sessionStorage.length);
  out.signInShown = await page.locator('#sign-in').isVisible();

  step = 'the operator sees the tenants';
  await signIn(env.OPERATOR);
  await view('Tenants');
  out.tenants = await page.locator('table tbody tr td:first-child').allTextContents();
  await checkLabels('tenants');
  await shot('tenants');
  await signOut();

  step = 'another tenant sees none of this one';
  await signIn(env.OTHER_TENANT);
  out.otherWaiting = await page.getByRole('heading', { name: /Waiting for approval/ }).textContent();
  await view('Skills');
  out.otherSkills = await page.locator('details[data-skill]').count();
  await signOut();

  step = 'a reader sees no decision and is refused anyway';
  await signIn(env.READER);
  out.readerButtons = await page.getByRole('button', { name: /^(Approve|Deny)/ }).count();
  out.readerNarrow = await page.getByText('Narrow the grant before approving').count();
  out.readerViews = await page.getByRole('navigation', { name: 'Views' }).getByRole('button').evaluateAll(
    (buttons) => buttons.filter((b) => !b.hidden).map((b) => b.textContent));
  out.readerApprove = (await bearer(env.READER, `/api/skills/${env.PENDING_SKILL}/approve`, 'POST')).status;
  await shot('reader');
  await view('Skills');
  out.readerInstall = await page.getByText('Install a skill').count();
  out.pageHasToken = (await page.content()).includes(env.READER);
  console.log(JSON.stringify(out));
} catch (e) {
  // What the page showed when the step failed.
  const shown = page ? await page.locator('main').innerText().catch(() => '') : '';
  console.error(`step "${step}" failed: ${String(e && e.stack ? e.stack : e)}\npage: ${shown}\nseen so far: ${JSON.stringify(out)}`);
  process.exitCode = 2;
} finally {
  await browser.close();
}
