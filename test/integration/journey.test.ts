import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, formFields } from '../support/http-client.js';
import { linkTo, links, resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { recipient } from '../support/smtp-sink.js';

const run = promisify(execFile);
let product: Product;

beforeAll(async () => {
  product = await startProduct();
});
afterAll(async () => {
  if (process.env.SHOW_LOGS) console.log(product.logLines.filter((l) => l.includes("\"level\":50")).join("\n"));
  await product?.stop();
});

async function directoryAccepts(login: string, password: string): Promise<boolean> {
  const adapter = product.directories.get('demo-directory')!.adapter;
  const account = await adapter.resolveAccount({ by: 'login', value: login });
  return !!account && (await adapter.verifyPassword!(account, password));
}

describe('the whole reset journey on the embedded default', () => {
  it('takes an admin from company sign-in to a password the directory accepts, and the link dies after use', async () => {
    // 1. Sign in through the partner's own IdP (OIDC code flow + PKCE against the demo OpenID Provider).
    const { client: admin, landing } = await signInAsAdmin(product, 'alice@northwind-partners.example', 'northwind-demo');
    expect(landing.status).toBe(200);
    expect(landing.text).toContain('Users &amp; Licenses');
    expect(landing.text).toContain('Northwind Partners');

    // 2. Users & Licenses → Customers → company → Accounts → account.
    const customers = await admin.get(product.url + linkTo(landing.text, 'Customers'));
    const company = links(customers.text).find((l) => l.href.startsWith('/admin/customers/cus_'))!;
    const companyPage = await admin.get(product.url + company.href);
    expect(companyPage.text).toContain(company.text.replace(/&/g, '&amp;'));
    const accountsTab = await admin.get(product.url + linkTo(companyPage.text, 'Accounts'));
    const accountLink = links(accountsTab.text).find((l) => l.href.includes('/accounts/acc_'))!;
    const accountPage = await admin.get(product.url + accountLink.href);
    const login = /<dt>Login<\/dt><dd>([^<]+)<\/dd>/.exec(accountPage.text)![1]!;
    const email = /<dt>Email<\/dt><dd>([^<]+)<\/dd>/.exec(accountPage.text)![1]!;

    // 3. Reset password → notice → OK → confirmation with the masked address.
    const notice = await admin.get(product.url + linkTo(accountPage.text, 'Reset password'));
    const masked = `${email[0]}•••${email.slice(email.indexOf('@'))}`;
    expect(notice.text).toContain(masked);
    expect(notice.text).toContain('expires in 24 hours');
    expect(notice.text).toContain('current password keeps working');
    const confirmed = await resetThroughConsole(admin, product, accountLink.href);
    expect(confirmed.text).toContain(`A password reset email has been sent to ${masked}.`);

    // 4. The mail, through a real SMTP server, links to the configured public URL.
    const link = await resetLinkFor(product, email);
    expect(link.startsWith(`${product.url}/reset/`)).toBe(true);
    const mail = product.smtp.messages.find((m) => recipient(m).includes(email))!;
    expect(mail.subject).toContain('Northwind Partners');
    expect(mail.html).toContain(link);

    // 5. The user opens the hosted page: login, requirements, the two fields.
    const user = new HttpClient();
    const form = await user.get(link);
    expect(form.status).toBe(200);
    expect(form.headers.get('cache-control')).toBe('no-store');
    expect(form.headers.get('referrer-policy')).toBe('no-referrer');
    expect(form.text).toContain(login);
    expect(form.text).toMatch(/<label for="password">New password<\/label>/);
    expect(form.text).toMatch(/<label for="confirm">Confirm new password<\/label>/);
    expect(form.text).toContain('Set new password');

    // 6. A rejected password re-renders the form with the reason; the link stays valid.
    const weak = await submitPassword(user, link, 'short1');
    expect(weak.status).toBe(422);
    expect(weak.text).toContain('Use at least 12 characters');
    const common = await submitPassword(user, link, 'passwordpassword');
    expect(common.text).toContain('too common');
    const withLogin = await submitPassword(user, link, `${login}-and-more-words`);
    expect(withLogin.text).toContain('Do not use your login name');

    // 7. A good one: changed, the directory accepts it, the old link is dead.
    const password = 'velvet orbit canyon 2048 ☂';
    const done = await submitPassword(user, link, password);
    expect(done.status).toBe(200);
    expect(done.text).toContain('Your password has been changed. You can now sign in with your new password.');
    expect(await directoryAccepts(login, password)).toBe(true);
    expect(await directoryAccepts(login, 'velvet orbit canyon 2048')).toBe(false);
    const again = await user.get(link);
    expect(again.status).toBe(410);
    expect(again.text).toContain('Ask your administrator to send you a new password reset link.');

    // 8. The notification mail: time and IP, never the password.
    const changed = await product.smtp.waitFor((m) => recipient(m).includes(email) && /password was changed/.test(m.subject ?? ''));
    expect(changed.text).toContain('127.0.0.1');
    expect(changed.text).not.toContain(password);
    expect(changed.html).not.toContain(password);

    // 9. The account page shows the reset, and the audit log has issue and redeem.
    const after = await admin.get(product.url + accountLink.href);
    expect(after.text).not.toMatch(/<dt>Last reset<\/dt><dd>Never/);
    const events = (await product.store.listAudit('northwind')).map((e) => e.type);
    expect(events).toEqual(expect.arrayContaining(['admin.signin', 'reset.issued', 'reset.redeemed']));

    // 10. The operator command confirms the reset took, and refuses a wrong password.
    const configFile = path.join(product.dataDir, 'cli.yaml');
    writeFileSync(configFile, `dataDir: ${product.dataDir}\ndemo: { seed: true }\nlog: { level: silent }\n`);
    const cli = path.resolve('bin/resetbridge.js');
    const verify = (pw: string) => {
      const child = run(process.execPath, [cli, 'directory', 'verify', login, '--config', configFile]);
      child.child.stdin!.end(`${pw}\n`);
      return child.then(() => 0, (e: { code: number }) => e.code);
    };
    expect(await verify(password)).toBe(0);
    expect(await verify('not the password at all')).toBe(1);
  }, 60_000);

  it('shows the same page for an unknown link as for a used one, and keeps the token out of the data files', async () => {
    const res = await new HttpClient().get(`${product.url}/reset/${'A'.repeat(43)}`);
    expect(res.status).toBe(410);
    expect(res.text).toContain('This link no longer works');
  });

  it('asks for the work email and explains an unknown domain instead of failing', async () => {
    const client = new HttpClient();
    const page = await client.get(`${product.url}/login`);
    const res = await client.post(`${product.url}/login`, { ...formFields(page.text), email: 'someone@unknown.example' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('We do not know a sign-in for that email domain');
  });
});
