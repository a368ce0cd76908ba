import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IssueCustomerTokenDocument } from '../gql/graphql';
import { ADMIN_KEY, useTestApp } from '../support/app';
import { adjustCredits, currencyAndCustomer, grantCredits, newCustomer } from '../support/builders';
import { checkLedgerInvariants } from '../support/invariants';
import { BUILD_TIMEOUT, ensureWebBuilt } from '../support/web';

/**
 * The dashboard and explorer in Debian's headless Chromium, driven by playwright-core, against the real
 * server and PostgreSQL. Every request to anything but this machine is blocked and recorded: the pages
 * must work offline. Screenshots go to DRAWDOWN_E2E_SHOTS (default: a temp dir, printed).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const shots = process.env.DRAWDOWN_E2E_SHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'drawdown-e2e-'));

describe('dashboard and explorer in a browser (issue 13)', () => {
  const t = useTestApp();
  let browser: Browser;
  let base: string;
  let currency: string;
  let customerId: string;
  let key: string;
  const external: string[] = [];
  const pageErrors: string[] = [];

  async function newContext(): Promise<BrowserContext> {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await ctx.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === 'data:' || url.hostname === '127.0.0.1' || url.hostname === 'localhost')
        return route.continue();
      external.push(route.request().url());
      return route.abort('blockedbyclient');
    });
    ctx.on('page', (p) => p.on('pageerror', (e) => pageErrors.push(e.message)));
    return ctx;
  }

  const shot = (page: Page, name: string) =>
    page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  async function signIn(page: Page, token: string): Promise<void> {
    await page.goto(base + '/');
    await page.fill('#token', token);
    await page.click('button[type=submit]');
  }

  const firstSequence = (page: Page) =>
    page.locator('[data-testid=history] tbody tr').first().getAttribute('data-sequence');

  let admin: Page;

  beforeAll(async () => {
    await ensureWebBuilt();
    base = t.url.replace(/\/graphql$/, '');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    // the demo customer: a grant and 24 small draw-downs, 25 movements (three pages of history)
    ({ currency, customerId, key } = await currencyAndCustomer(t, {
      keyPrefix: 'demo',
      customerName: 'Demo Customer',
    }));
    await grantCredits(t, customerId, currency, '100.00', { name: 'Welcome credit' });
    for (let i = 0; i < 24; i++) await adjustCredits(t, customerId, currency, '-1.00', `usage ${i + 1}`);
    admin = await (await newContext()).newPage();
    console.log(`e2e screenshots: ${shots}`);
  }, BUILD_TIMEOUT);

  afterAll(async () => {
    await browser?.close();
  });

  it('signs in with the admin key, finds the demo customer and shows its balances', async () => {
    await admin.goto(base + '/');
    await shot(admin, '1-sign-in');
    await signIn(admin, ADMIN_KEY);
    await admin.getByRole('heading', { name: 'Customers' }).waitFor();
    await admin.getByLabel('Search customers').fill(key);
    await admin.getByRole('link', { name: 'Demo Customer' }).click();
    await admin.getByTestId(`settled-${currency}`).waitFor();
    expect(await admin.getByTestId(`settled-${currency}`).textContent()).toBe('76.00');
    expect(await admin.getByTestId(`pending-${currency}`).textContent()).toBe('76.00');
    expect(new URL(admin.url()).pathname).toBe(`/customers/${customerId}`);
    await admin.goto(base + '/');
    await admin.getByLabel('Search customers').fill(key);
    await admin.getByRole('link', { name: 'Demo Customer' }).waitFor();
    await shot(admin, '2-customers-search');
    await admin.getByRole('link', { name: 'Demo Customer' }).click();
    await admin.getByTestId(`settled-${currency}`).waitFor();
    await admin.locator('[data-testid=history] tbody tr[data-sequence="25"]').waitFor();
    await shot(admin, '3-customer');
  });

  it('updates the balance live when a grant is made through the API, without a reload', async () => {
    await admin.evaluate('window.marker = 42');
    const started = Date.now();
    await grantCredits(t, customerId, currency, '50.00', { name: 'Live grant' });
    await admin.locator(`[data-testid="settled-${currency}"]`, { hasText: /^126\.00$/ }).waitFor();
    const ms = Date.now() - started;
    console.log(`live update on the page ${ms} ms after the grant's response`);
    // the same document: nothing reloaded it
    expect(await admin.evaluate('window.marker')).toBe(42);
    // the lists follow the movement too
    await admin.locator('[data-testid=history] tbody tr[data-sequence="26"]').waitFor();
    await admin.getByRole('cell', { name: 'Live grant' }).first().waitFor();
    await shot(admin, '4-after-live-grant');
  });

  it('pages through history both ways and filters by type', async () => {
    expect(await firstSequence(admin)).toBe('26');
    await admin.getByTestId('history-older').click();
    await admin.locator('[data-testid=history] tbody tr[data-sequence="16"]').first().waitFor();
    expect(await firstSequence(admin)).toBe('16');
    await admin.getByTestId('history-older').click();
    await admin.locator('[data-testid=history] tbody tr[data-sequence="6"]').first().waitFor();
    expect(await admin.locator('[data-testid=history] tbody tr').count()).toBe(6);
    expect(await admin.getByTestId('history-older').isDisabled()).toBe(true);
    await shot(admin, '5-history-oldest-page');
    // back toward the newest: last/before
    await admin.getByTestId('history-newer').click();
    await admin.locator('[data-testid=history] tbody tr[data-sequence="16"]').first().waitFor();
    expect(await firstSequence(admin)).toBe('16');
    await admin.getByTestId('history-newest').click();
    await admin.locator('[data-testid=history] tbody tr[data-sequence="26"]').first().waitFor();
    // only FUNDED movements: the two grants
    await admin.getByRole('group', { name: 'Movement types' }).getByText('Funded').click();
    // the adjustment at 25 goes, the grants at 26 and 1 stay
    await admin.locator('[data-testid=history] tbody tr[data-sequence="25"]').waitFor({ state: 'detached' });
    expect(
      await admin
        .locator('[data-testid=history] tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-sequence'))),
    ).toEqual(['26', '1']);
    await admin.getByRole('group', { name: 'Movement types' }).getByText('Funded').click();
  });

  it('shows the API error next to the field: a malformed amount, then too many decimals', async () => {
    const form = admin.locator('#adjust');
    await form.getByLabel('Amount').fill('1.2.3');
    await form.getByLabel('Reason').fill('typo');
    await form.getByRole('button', { name: 'Adjust' }).click();
    const error = admin.locator('#adjust-amount-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('is not a decimal');
    expect(await form.getByLabel('Amount').getAttribute('aria-invalid')).toBe('true');
    expect(await admin.locator('#adjust-reason-error').count()).toBe(0);
    await form.scrollIntoViewIfNeeded();
    await shot(admin, '6-adjust-malformed-amount');
    // a business rule (scale 2) comes back as extensions.problems, shown at the same field
    await form.getByLabel('Amount').fill('1.234');
    await form.getByRole('button', { name: 'Adjust' }).click();
    await admin.locator('#adjust-amount-error', { hasText: 'at most 2 allowed' }).waitFor();
    // nothing was booked
    expect(await admin.getByTestId(`settled-${currency}`).textContent()).toBe('126.00');
  });

  it('a customer token sees only its own customer', async () => {
    const other = await newCustomer(t, { name: 'Someone Else' });
    const { issueCustomerToken } = await t.ok(IssueCustomerTokenDocument, { customerId, ttlSeconds: 600 });
    const page = await (await newContext()).newPage();
    await signIn(page, issueCustomerToken.token);
    await page.getByTestId(`settled-${currency}`).waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Demo Customer');
    expect(await page.getByTestId('who').textContent()).toBe('Customer view');
    // no customer list, no admin actions
    expect(await page.getByRole('link', { name: 'Customers' }).count()).toBe(0);
    expect(await page.locator('#adjust').count()).toBe(0);
    await shot(page, '7-customer-token-view');
    // another customer's address still shows the token's own customer
    await page.goto(`${base}/customers/${other.customerId}`);
    await page.getByTestId(`settled-${currency}`).waitFor();
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Demo Customer');
    expect(await page.getByText('Someone Else').count()).toBe(0);
    // and the API itself answers nothing about the other customer to this token
    const res = await t.raw<{ customer: unknown }>(
      'query($id: ID!) { customer(id: $id) { id } }',
      { id: other.customerId },
      issueCustomerToken.token,
    );
    expect(res.data?.customer ?? null).toBeNull();
    await page.context().close();
  });

  it('loads the explorer (GraphiQL) with no request leaving the machine', async () => {
    const page = await (await newContext()).newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(base + '/graphql');
    await page.locator('.graphiql-container').waitFor();
    // monaco (GraphiQL's editor) and its workers loaded: the default query is on screen
    await page.locator('.graphiql-query-editor .view-lines', { hasText: 'customers' }).waitFor();
    // running it goes to this server (no key in the headers here: the API answers UNAUTHENTICATED)
    await page.locator('.graphiql-execute-button').click();
    await page.locator('.graphiql-response .view-lines', { hasText: 'UNAUTHENTICATED' }).waitFor();
    await shot(page, '8-explorer');
    expect(requested.length).toBeGreaterThan(1);
    for (const url of requested) expect(new URL(url).hostname).toBe('127.0.0.1');
    await page.context().close();
  });

  it('made no request outside this machine and threw no page error; the ledger holds', async () => {
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
    await checkLedgerInvariants([customerId]);
  });
});
