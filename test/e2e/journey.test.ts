import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, launchChromium, screenshot, watchConsole } from '../support/browser.js';
import { resetLinkFor } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';

let product: Product;
let browser: Browser;

beforeAll(async () => {
  product = await startProduct();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await product?.stop();
});

/** Every page of the journey must pass axe's WCAG 2.2 AA rules and raise no console error. */
async function check(page: Page, problems: string[], name: string): Promise<void> {
  await screenshot(page, name);
  expect(await axeViolations(page), name).toEqual([]);
  expect(problems, name).toEqual([]);
}

describe('the journey in a real browser', () => {
  it('goes from company sign-in to a new password as a person clicks it, every page accessible', async () => {
    const admin = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const adminProblems = watchConsole(admin);
    await admin.goto(`${product.url}/admin`);
    await check(admin, adminProblems, 'admin-01-sign-in');
    await admin.getByLabel('Work email').fill('alice@northwind-partners.example');
    await admin.getByRole('button', { name: 'Sign in with your company account' }).click();
    await admin.getByLabel('Password').fill('northwind-demo');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    await admin.getByRole('link', { name: 'Users & Licenses' }).click();
    await admin.getByRole('link', { name: 'Customers', exact: true }).click();
    await check(admin, adminProblems, 'admin-02-customers');
    await admin.locator('table a').first().click();
    await check(admin, adminProblems, 'admin-03-company');
    await admin.getByRole('link', { name: 'Accounts' }).click();
    await check(admin, adminProblems, 'admin-04-accounts');
    await admin.locator('table a').first().click();
    const email = (await admin.locator('dt:has-text("Email") + dd').textContent())!.trim();
    await check(admin, adminProblems, 'admin-05-account');
    await admin.getByRole('link', { name: 'Reset password' }).click();
    await check(admin, adminProblems, 'admin-06-notice');
    await admin.getByRole('button', { name: 'OK' }).click();
    await expect.poll(() => admin.getByRole('status').textContent()).toContain('A password reset email has been sent to');
    await check(admin, adminProblems, 'admin-07-sent');

    const link = await resetLinkFor(product, email);
    const user = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    const userProblems = watchConsole(user);
    await user.goto(link);
    await check(user, userProblems, 'reset-01-form');
    await user.getByLabel('New password', { exact: true }).fill('short');
    await user.getByLabel('Confirm new password').fill('short');
    await user.getByRole('button', { name: 'Set new password' }).click();
    await expect.poll(() => user.getByRole('alert').textContent()).toContain('Use at least 12 characters');
    await check(user, userProblems, 'reset-02-rejected');
    await user.getByLabel('New password', { exact: true }).fill('orchard signal 71 violet');
    await user.getByLabel('Confirm new password').fill('orchard signal 71 violet');
    await user.getByRole('button', { name: 'Set new password' }).click();
    await expect.poll(() => user.locator('h1').textContent()).toBe('Password changed');
    await check(user, userProblems, 'reset-03-done');
    await user.goto(link);
    await check(user, userProblems, 'reset-04-used-link');
  });

  it('works without JavaScript: the hosted form posts and answers as plain HTML', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 320, height: 700 } });
    const admin = await context.newPage();
    await admin.goto(`${product.url}/login`);
    await admin.getByLabel('Work email').fill('bob@contoso-reseller.example');
    await admin.getByRole('button', { name: 'Sign in with your company account' }).click();
    await admin.getByLabel('Password').fill('contoso-demo');
    await admin.getByRole('button', { name: 'Sign in' }).click();
    // Without a script the demo SAML IdP is not involved; OIDC redirects need none.
    await admin.waitForURL(/\/admin/);
    const { items } = await product.store.listCustomers('contoso', { page: 1, pageSize: 1 });
    const account = (await product.store.listAccounts('contoso', items[0]!.id))[0]!;
    await admin.goto(`${product.url}/admin/customers/${items[0]!.id}/accounts/${account.id}/reset`);
    await admin.getByRole('button', { name: 'OK' }).click();
    const link = await resetLinkFor(product, account.email);
    const user = await context.newPage();
    await user.goto(link);
    await user.getByLabel('New password', { exact: true }).fill('pebble forest 12 amber');
    await user.getByLabel('Confirm new password').fill('pebble forest 12 amber');
    await user.getByRole('button', { name: 'Set new password' }).click();
    await expect.poll(() => user.locator('h1').textContent()).toBe('Password changed');
    await screenshot(user, 'reset-nojs-320-done');
    await context.close();
  });
});
