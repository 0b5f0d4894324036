import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProduct, type Product } from '../support/product.js';

// What only a real browser enforces: the demo SAML IdP's auto-post needs its script to run, and a
// form whose POST is redirected to an IdP (sign-in, Single Logout) must be allowed by the page's
// CSP form-action, which browsers apply to every redirect of the submission.

let product: Product;
let browser: Browser;

beforeAll(async () => {
  product = await startProduct({ demo: { seed: true, idp: true, idpPort: 0, samlIdp: true, samlIdpPort: 0 } });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
  await product?.stop();
});

describe('SSO in a real browser', () => {
  for (const [choice, idpLabel] of [['Northwind Partners (demo SAML IdP)', 'SAML'], ['Northwind Partners (demo IdP)', 'OIDC']] as const) {
    it(`signs in through the ${idpLabel} demo IdP from the sign-in page, and signs out`, async () => {
      const context = await browser.newContext();
      context.setDefaultTimeout(8_000);
      const page = await context.newPage();
      const blocked: string[] = [];
      page.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
      });
      await page.goto(`${product.url}/login`);
      await page.fill('#email', 'alice@northwind-partners.example');
      await page.click('button[type=submit]');
      await page.click(`text=${choice}`);
      await page.fill('#email', 'alice@northwind-partners.example');
      await page.fill('#password', 'northwind-demo');
      await page.click('button:has-text("Sign in")');
      await page.waitForURL(`${product.url}/admin/customers`);
      expect(await page.locator('.topbar .who').textContent()).toBe('Alice Moreau');

      await page.click('button:has-text("Sign out")');
      await page.waitForURL(/\/signed-out/);
      expect(await page.locator('h1').textContent()).toBe('Signed out');
      if (idpLabel === 'OIDC') {
        await page.click('text=Sign out of Northwind Partners (demo IdP) too');
        await page.waitForURL(/\/session\/end/);
      }
      await page.goto(`${product.url}/admin/customers`);
      expect(new URL(page.url()).pathname).toBe('/login');
      expect(blocked).toEqual([]);
      await context.close();
    });
  }
});
