// Drives the operator console in Debian's Chromium, headless, with
// playwright-core: what a person at the console would do, and what they
// would see.
//
//   node drive.mjs BASE_URL ADMIN_TOKEN READER_TOKEN SCREENSHOT_DIR
//
// Prints one JSON object of observations; screenshots of each view go to
// SCREENSHOT_DIR. Exits 2 with the error on stderr when a step fails.
import { chromium } from 'playwright-core';

const [base, admin, reader, shots] = process.argv.slice(2);
const out = { dialogs: [], consoleErrors: [] };
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let page;
try {
  page = await browser.newPage();
  page.on('dialog', async (dialog) => {
    out.dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  page.on('console', (message) => {
    if (message.type() === 'error') out.consoleErrors.push(message.text());
  });
  const response = await page.goto(`${base}/console`);
  out.policy = response.headers()['content-security-policy'] ?? null;

  // Sign in with the keyboard, as the labels say.
  await page.getByLabel('API token').fill(admin);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: /Waiting for approval/ }).waitFor();
  out.who = await page.locator('#who').textContent();
  out.tokenInUrl = page.url().includes(admin);
  await page.screenshot({ path: `${shots}/approvals.png`, fullPage: true });

  // The pending version: what it asks, the new part marked.
  const version = page.locator('article[data-kind="skill"]', { hasText: 'Skill text-tools 1.1.0' });
  out.versionAsks = await version.locator('.asks li').allTextContents();
  // The hostile description is text: no element made of it, no script run.
  const hostile = page.locator('article[data-kind="skill"]', { hasText: 'Skill calc' });
  out.hostileText = await hostile.locator('p').first().textContent();
  out.injectedElements = await page.locator('article img, article script').count();
  await version.getByRole('button', { name: 'Approve text-tools' }).click();
  await page.locator('article[data-kind="skill"]', { hasText: 'Skill text-tools 1.1.0' }).waitFor({ state: 'detached' });
  out.afterApproval = await page.getByRole('heading', { name: /Waiting for approval/ }).textContent();

  await page.getByRole('button', { name: 'Skills' }).click();
  await page.getByRole('heading', { name: 'Skills' }).waitFor();
  await page.screenshot({ path: `${shots}/skills.png`, fullPage: true });
  // A secret created here is never shown again, anywhere in the page.
  const value = 'sv-0123-console-secret-value';
  await page.getByRole('button', { name: 'Secrets' }).click();
  await page.getByRole('heading', { name: 'Secrets' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('console key');
  await page.getByLabel('Value', { exact: true }).fill(value);
  await page.getByRole('button', { name: 'Create secret' }).click();
  await page.getByRole('cell', { name: 'console key', exact: true }).waitFor();
  out.secretInPage = (await page.content()).includes(value);
  out.secretInInputs = await page.evaluate((v) => [...document.querySelectorAll('input')].some((i) => i.value === v), value);
  await page.screenshot({ path: `${shots}/secrets.png`, fullPage: true });

  // The audit, filtered to the one failed call, and its receipt.
  await page.getByRole('button', { name: 'Audit' }).click();
  await page.getByRole('heading', { name: 'Audit' }).waitFor();
  await page.getByLabel('Outcome').selectOption('invalid_input');
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForFunction(() => [...document.querySelectorAll('details.item')].every((d) => d.dataset.outcome === 'invalid_input'));
  out.auditShown = await page.locator('details.item').count();
  await page.locator('details.item summary').first().click();
  out.receipt = await page.locator('details.item pre').first().textContent();
  await page.screenshot({ path: `${shots}/audit.png`, fullPage: true });

  // Signed out, the tab keeps nothing.
  await page.getByRole('button', { name: 'Sign out' }).click();
  out.storedAfterSignOut = await page.evaluate(() => sessionStorage.length);
  out.signInShown = await page.locator('#sign-in').isVisible();

  // A reader sees no approve button, and the API refuses it anyway.
  await page.getByLabel('API token').fill(reader);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: /Waiting for approval/ }).waitFor();
  out.readerButtons = await page.getByRole('button', { name: /^Approve/ }).count();
  out.readerSecretsButton = await page.getByRole('button', { name: 'Secrets' }).isVisible();
  out.readerApprove = await page.evaluate(async ([token, skill]) => {
    const r = await fetch(`/api/skills/${skill}/approve`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
    return r.status;
  }, [reader, process.env.PENDING_SKILL]);
  await page.screenshot({ path: `${shots}/reader.png`, fullPage: true });
  out.pageHasToken = (await page.content()).includes(reader);
  console.log(JSON.stringify(out));
} catch (e) {
  // What the page showed when the step failed.
  const shown = page ? await page.locator('main').innerText().catch(() => '') : '';
  console.error(`${String(e && e.stack ? e.stack : e)}\npage: ${shown}`);
  process.exitCode = 2;
} finally {
  await browser.close();
}
