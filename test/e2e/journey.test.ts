import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, launchChromium, screenshot, watchConsole } from '../support/browser.js';
import { resetLinkFor } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { recipient } from '../support/smtp-sink.js';

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

/** What a person reads and clicks, in each language the journey runs in. */
const WORDS = {
  en: {
    workEmail: 'Work email', signIn: 'Sign in with your company account', usersLicenses: 'Users & Licenses', customers: 'Customers',
    accounts: 'Accounts', email: 'Email', resetPassword: 'Reset password', ok: 'OK', sent: 'A password reset email has been sent to',
    newPassword: 'New password', confirm: 'Confirm new password', submit: 'Set new password', tooShort: 'Use at least 12 characters',
    done: 'Password changed', mailSubject: /reset your password/,
  },
  ja: {
    workEmail: '勤務先のメールアドレス', signIn: '会社のアカウントでサインイン', usersLicenses: 'ユーザーとライセンス', customers: '顧客',
    accounts: 'アカウント', email: 'メールアドレス', resetPassword: 'パスワードをリセット', ok: 'OK', sent: 'パスワードリセットのメールを',
    newPassword: '新しいパスワード', confirm: '新しいパスワード（確認）', submit: 'パスワードを設定', tooShort: '12 文字以上で入力してください',
    done: 'パスワードを変更しました', mailSubject: /パスワードの再設定/,
  },
} as const;

/** The link in the newest reset mail to `address` whose subject is in the expected language. */
async function mailedLink(address: string, subject: RegExp): Promise<string> {
  const mail = await product.smtp.waitFor((m) => recipient(m).includes(address) && subject.test(m.subject ?? ''));
  return /(http:\/\/\S+\/reset\/[A-Za-z0-9_-]{43})/.exec(mail.text ?? '')![1]!;
}

describe('the journey in a real browser', () => {
  for (const lang of ['en', 'ja'] as const) {
    it(`goes from company sign-in to a new password as a person clicks it, every page accessible (${lang})`, async () => {
      const w = WORDS[lang];
      const shot = (name: string) => (lang === 'en' ? name : `${lang}-${name}`);
      // The browser's language picks the console's language, and the user's page.
      const admin = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: lang === 'ja' ? 'ja-JP' : 'en-GB' })).newPage();
      const adminProblems = watchConsole(admin);
      await admin.goto(`${product.url}/admin`);
      expect(await admin.locator('html').getAttribute('lang')).toBe(lang);
      await check(admin, adminProblems, shot('admin-01-sign-in'));
      await admin.getByLabel(w.workEmail).fill('alice@northwind-partners.example');
      await admin.getByRole('button', { name: w.signIn }).click();
      await admin.getByLabel('Password').fill('northwind-demo');
      await admin.getByRole('button', { name: 'Sign in' }).click();
      await admin.getByRole('link', { name: w.usersLicenses }).click();
      await admin.getByRole('link', { name: w.customers, exact: true }).click();
      await check(admin, adminProblems, shot('admin-02-customers'));
      // Each language resets an account of its own.
      await admin.locator('table a').nth(lang === 'en' ? 0 : 1).click();
      await check(admin, adminProblems, shot('admin-03-company'));
      await admin.getByRole('link', { name: w.accounts, exact: true }).click();
      await check(admin, adminProblems, shot('admin-04-accounts'));
      await admin.locator('table a').first().click();
      const email = (await admin.locator(`dt:text-is("${w.email}") + dd`).textContent())!.trim();
      if (lang !== 'en') {
        // The account says it prefers this language, so the mail speaks it too.
        const accountId = decodeURIComponent(admin.url().split('/accounts/')[1]!);
        const account = (await product.store.getAccount('northwind', accountId))!;
        await product.store.saveAccounts('northwind', [{ ...account, locale: lang }]);
      }
      await check(admin, adminProblems, shot('admin-05-account'));
      await admin.getByRole('link', { name: w.resetPassword }).click();
      await check(admin, adminProblems, shot('admin-06-notice'));
      await admin.getByRole('button', { name: w.ok }).click();
      await expect.poll(() => admin.getByRole('status').textContent()).toContain(w.sent);
      await check(admin, adminProblems, shot('admin-07-sent'));

      const link = await mailedLink(email, w.mailSubject);
      const user = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
      const userProblems = watchConsole(user);
      await user.goto(link);
      expect(await user.locator('html').getAttribute('lang')).toBe(lang);
      await check(user, userProblems, shot('reset-01-form'));
      await user.getByLabel(w.newPassword, { exact: true }).fill('short');
      await user.getByLabel(w.confirm).fill('short');
      await user.getByRole('button', { name: w.submit }).click();
      await expect.poll(() => user.getByRole('alert').textContent()).toContain(w.tooShort);
      await check(user, userProblems, shot('reset-02-rejected'));
      await user.getByLabel(w.newPassword, { exact: true }).fill('orchard signal 71 violet');
      await user.getByLabel(w.confirm).fill('orchard signal 71 violet');
      await user.getByRole('button', { name: w.submit }).click();
      await expect.poll(() => user.locator('h1').textContent()).toBe(w.done);
      await check(user, userProblems, shot('reset-03-done'));
      await user.goto(link);
      await check(user, userProblems, shot('reset-04-used-link'));
    }, 180_000);
  }

  it('shows the hosted page in every language at phone and desktop width, switched without JavaScript', async () => {
    const { items } = await product.store.listCustomers('northwind', { page: 1, pageSize: 5 });
    const account = (await product.store.listAccounts('northwind', items[4]!.id))[0]!;
    const partnerAdmin = { sub: 'alice', connectionId: 'demo-northwind', partnerId: 'northwind', email: 'alice@northwind-partners.example', name: 'Alice', roles: ['partner-admin'] };
    await product.services.reset.issue(partnerAdmin, account.customerId, account.id, { ip: '127.0.0.1', userAgent: 'e2e' });
    const link = await mailedLink(account.email, WORDS.en.mailSubject);
    for (const width of [390, 1280]) {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      const page = await context.newPage();
      const problems = watchConsole(page);
      await page.goto(link);
      for (const lang of ['en', 'ja', 'de', 'fr', 'es']) {
        // The switcher is a plain link: one click, no script, and the token stays in the path.
        if (lang !== 'en') await page.locator(`nav.languages a[hreflang="${lang}"]`).click();
        await expect.poll(() => page.locator('html').getAttribute('lang')).toBe(lang);
        expect(new URL(page.url()).pathname).toBe(new URL(link).pathname);
        await check(page, problems, `hosted-${lang}-${width}`);
      }
      await context.close();
    }
    // The switcher needs no script: its links carry only `?lang=`, and the choice is remembered.
    const noScript = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 320, height: 700 } });
    const page = await noScript.newPage();
    await page.goto(link);
    await page.locator('nav.languages a[hreflang="de"]').click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Neues Passwort festlegen');
    await page.goto(link);
    expect(await page.locator('html').getAttribute('lang')).toBe('de');
    await noScript.close();
  }, 180_000);

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
