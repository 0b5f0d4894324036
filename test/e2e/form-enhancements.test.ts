import { AxeBuilder } from '@axe-core/playwright';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAssets } from '../../scripts/build-assets.js';
import { axeViolations, launchChromium, screenshot, watchConsole } from '../support/browser.js';
import { HttpClient, formFields } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';

const GOOD = 'Quiet-lantern-orbit-1987!';
const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

let product: Product;
let browser: Browser;
let dana: HttpClient;
let accounts: Array<{ path: string; email: string }> = [];

beforeAll(async () => {
  await buildAssets();
  product = await startProduct();
  browser = await launchChromium();
  ({ client: dana } = await signInAsAdmin(product, 'dana@northwind-partners.example', 'northwind-demo'));
  // A branded partner: its stylesheet and colour must not trip the CSP or axe either.
  const path = '/idp-admin/branding/northwind';
  const form = await dana.get(product.url + path);
  const saved = await dana.post(product.url + path, {
    ...formFields(form.text, `form[action="${path}"]`), displayName: 'Northwind Care', primaryColor: '#0b5cad',
    supportEmail: 'care@northwind-partners.example', supportUrl: '', supportPhone: '+44 20 7946 0000', senderName: '', replyTo: '',
  });
  expect(saved.status).toBe(303);
  const customers = (await product.store.listCustomers('northwind', { page: 1, pageSize: 20 })).items;
  for (const c of customers) {
    const a = (await product.store.listAccounts('northwind', c.id))[0];
    if (a) accounts.push({ path: `/admin/customers/${c.id}/accounts/${a.id}`, email: a.email });
    if (accounts.length === 3) break;
  }
});
afterAll(async () => {
  await browser?.close();
  await product?.stop();
});

async function linkFor(n: number): Promise<string> {
  const account = accounts[n]!;
  await resetThroughConsole(dana, product, account.path);
  return resetLinkFor(product, account.email);
}

/** A page that records every CSP refusal the browser reports, besides console errors. */
async function open(options: BrowserContextOptions, url: string): Promise<{ page: Page; problems: string[]; violations: () => Promise<string[]> }> {
  const context = await browser.newContext(options);
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems = watchConsole(page);
  await page.goto(url);
  const violations = () => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations);
  return { page, problems, violations };
}

const rule = (page: Page, name: string) => page.locator(`#requirements li[data-rule="${name}"]`);

describe('the hosted form with JavaScript', () => {
  it('checks requirements and strength as the user types, shows the password on request, and sets it, at 320 px', async () => {
    const { page, problems, violations } = await open({ viewport: { width: 320, height: 720 } }, await linkFor(0));
    const password = page.getByLabel('New password', { exact: true });

    await expect.poll(() => rule(page, 'minLength').getAttribute('class')).toContain('unmet');
    await password.fill('short');
    expect(await rule(page, 'minLength').getAttribute('class')).toContain('unmet');
    expect(await rule(page, 'minLength').textContent()).toContain('(not met yet)');
    // Only the server can say whether it is a common password: the list says so instead of guessing.
    expect(await rule(page, 'notCommon').textContent()).toContain('(checked when you submit)');

    await password.fill('password1234');
    await expect.poll(() => page.locator('.strength').getAttribute('data-score')).toMatch(/^[01]$/);
    expect(await rule(page, 'minLength').getAttribute('class')).toContain('met');
    expect(await page.locator('.strength-text').textContent()).toMatch(/Strength: (very weak|weak)/);

    await password.fill(GOOD);
    await expect.poll(() => page.locator('.strength').getAttribute('data-score')).toBe('4');
    expect(await page.locator('.strength-text').textContent()).toBe('Strength: strong');
    await expect.poll(() => page.locator('#password-live').textContent()).toMatch(/\d of \d requirements met\. Strength: strong\./);
    expect(await page.locator('#password-live').getAttribute('aria-live')).toBe('polite');

    const toggle = page.getByRole('button', { name: 'Show password' });
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    await toggle.click();
    expect(await password.getAttribute('type')).toBe('text');
    expect(await page.getByRole('button', { name: 'Hide password' }).getAttribute('aria-pressed')).toBe('true');

    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    await screenshot(page, 'form-enhancements-320');
    expect(await axeViolations(page)).toEqual([]);

    // Pasting works like typing (nothing blocks it).
    await page.getByLabel('Confirm new password').focus();
    await page.evaluate((text) => {
      const el = document.getElementById('confirm') as HTMLInputElement;
      const data = new DataTransfer();
      data.setData('text/plain', text);
      const allowed = el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, cancelable: true, bubbles: true }));
      if (allowed) el.value = text;
    }, GOOD);
    expect(await page.getByLabel('Confirm new password').inputValue()).toBe(GOOD);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toMatch(/changed/i);

    expect(await violations()).toEqual([]);
    expect(problems).toEqual([]);
  });

  it('stays accessible and free of CSP refusals in the dark colour scheme', async () => {
    const { page, problems, violations } = await open({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' }, await linkFor(1));
    await page.getByLabel('New password', { exact: true }).fill(GOOD);
    await expect.poll(() => page.locator('.strength').getAttribute('data-score')).toBe('4');
    await screenshot(page, 'form-enhancements-dark');
    expect(await axeViolations(page)).toEqual([]);
    expect(await violations()).toEqual([]);
    expect(problems).toEqual([]);
  });
});

describe('the hosted form without JavaScript', () => {
  it('has no script-made controls and still sets the password', async () => {
    const { page, problems } = await open({ viewport: { width: 390, height: 844 }, javaScriptEnabled: false }, await linkFor(2));
    expect(await page.getByRole('button', { name: 'Show password' }).count()).toBe(0);
    expect(await page.locator('.strength').count()).toBe(0);
    expect(await page.locator('#requirements li').count()).toBeGreaterThan(1);
    await page.getByLabel('New password', { exact: true }).fill(GOOD);
    await page.getByLabel('Confirm new password').fill(GOOD);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toMatch(/changed/i);
    expect(problems).toEqual([]);
  });
});

describe('the branding and mail preview pages', () => {
  it('are accessible, and the preview frame shows the real mail without a CSP refusal', async () => {
    const { page, problems, violations } = await open({ viewport: { width: 1280, height: 900 } }, `${product.url}/idp-admin/branding`);
    await page.getByLabel('Work email').fill('dana@northwind-partners.example');
    await page.getByRole('button', { name: 'Sign in with your company account' }).click();
    await page.getByLabel('Password').fill('northwind-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.goto(`${product.url}/idp-admin/branding`);
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('link', { name: 'Edit the branding of Northwind Partners' }).click();
    expect(await page.getByLabel('Primary colour').inputValue()).toBe('#0b5cad');
    expect(await axeViolations(page)).toEqual([]);

    await page.goto(`${product.url}/idp-admin/mail-previews?partner=northwind&locale=en`);
    const frame = page.frameLocator('iframe[title^="HTML version: Reset link (sent by an administrator)"]');
    await expect.poll(() => frame.locator('a[href$="/reset/sample-link-for-preview"]').first().textContent()).toBeTruthy();
    await screenshot(page, 'mail-previews');
    // axe cannot run inside a frame that allows no script (which is the point of the sandbox), so
    // the page is checked around the frames, and each mail's HTML on a page of its own below.
    const around = await new AxeBuilder({ page }).withTags(WCAG_AA).exclude('iframe.mail-frame').analyze();
    expect(around.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
    const mail = await page.context().newPage();
    for (const src of await page.locator('iframe.mail-frame').evaluateAll((els) => els.map((e) => e.getAttribute('src')))) {
      const res = await page.request.get(product.url + src);
      await mail.setContent(await res.text());
      expect(await axeViolations(mail), src ?? '').toEqual([]);
    }
    expect(await violations()).toEqual([]);
    expect(problems).toEqual([]);
  });
});
