import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, formFields } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { recipient } from '../support/smtp-sink.js';

let product: Product;
let admin: HttpClient;
const evil = '<script>alert("x")</script><img src=x onerror=alert(1)>';

beforeAll(async () => {
  product = await startProduct();
  ({ client: admin } = await signInAsAdmin(product, 'alice@northwind-partners.example', 'northwind-demo'));
  await product.store.importTenants({
    partners: [{ ...(await product.store.getPartner('northwind'))!, name: `Northwind ${evil}` }],
    customers: [{ id: 'cus_evil', partnerId: 'northwind', name: `Evil ${evil} Corp`, directory: { instance: 'demo-directory', mapping: 'login' } }],
    accounts: [{ id: 'acc_evil', partnerId: 'northwind', customerId: 'cus_evil', name: `Mallory ${evil}`, login: 'mallory', email: 'mallory@evil.example' }],
  });
});
afterAll(async () => {
  await product?.stop();
});

const hasRawMarkup = (html: string) => html.includes('<script>alert') || html.includes('<img src=x');

/** A fresh reset link, through the console, for the first account of the n-th company. */
async function linkForCompany(n: number) {
  const { items } = await product.store.listCustomers('northwind', { page: 1, pageSize: n + 1 });
  const customer = items[n]!;
  const account = (await product.store.listAccounts('northwind', customer.id))[0]!;
  await resetThroughConsole(admin, product, `/admin/customers/${customer.id}/accounts/${account.id}`);
  return resetLinkFor(product, account.email);
}

describe('pages and headers an attacker probes', () => {
  it('send a strict CSP without inline script, deny framing, and no referrer, on console and hosted pages', async () => {
    for (const path of ['/login', '/admin/customers', '/reset/' + 'A'.repeat(43)]) {
      const res = await admin.get(product.url + path);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('strict-transport-security')).toBeNull(); // plain http in this test
    }
  });

  it('show markup in company, account and partner names as text in the console, the hosted page and the mail', async () => {
    const pages = [
      await admin.get(`${product.url}/admin/customers?q=Evil`),
      await admin.get(`${product.url}/admin/customers/cus_evil/accounts`),
      await admin.get(`${product.url}/admin/customers/cus_evil/accounts/acc_evil`),
    ];
    for (const p of pages) {
      expect(p.status).toBe(200);
      expect(hasRawMarkup(p.text)).toBe(false);
      expect(p.text).toContain('&lt;script&gt;');
    }
    await resetThroughConsole(admin, product, '/admin/customers/cus_evil/accounts/acc_evil');
    const link = await resetLinkFor(product, 'mallory@evil.example');
    const mail = product.smtp.messages.find((m) => recipient(m).includes('mallory@evil.example'))!;
    expect(hasRawMarkup(String(mail.html))).toBe(false);
    const hosted = await new HttpClient().get(link);
    expect(hosted.status).toBe(200);
    expect(hasRawMarkup(hosted.text)).toBe(false);
    expect(hosted.text).toContain('Evil &lt;script&gt;');
  });

  it('build mailed links from the configured URL even with a forged Host and X-Forwarded-Host', async () => {
    const { items } = await product.store.listCustomers('northwind', { page: 1, pageSize: 3 });
    const customer = items[2]!;
    const account = (await product.store.listAccounts('northwind', customer.id))[0]!;
    const path = `/admin/customers/${customer.id}/accounts/${account.id}/reset`;
    const notice = await admin.get(product.url + path);
    const res = await admin.post(product.url + path, formFields(notice.text, 'form[action$="/reset"]'), {
      'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', forwarded: 'host=evil.example',
    });
    expect(res.status).toBe(303);
    const link = await resetLinkFor(product, account.email);
    expect(link.startsWith(`${product.url}/reset/`)).toBe(true);
    const mail = product.smtp.messages.find((m) => recipient(m).includes(account.email))!;
    expect(`${mail.text}${mail.html}`).not.toContain('evil.example');
  });

  it('refuse a password form posted without its CSRF token, and the link keeps working', async () => {
    const link = await linkForCompany(3);
    const user = new HttpClient();
    await user.get(link);
    const forged = await user.post(link, { password: 'attacker chosen words 99', confirm: 'attacker chosen words 99' });
    expect(forged.status).toBe(403);
    const ok = await submitPassword(user, link, 'owner chosen words 42 ok');
    expect(ok.text).toContain('Your password has been changed.');
  });

  it('give the page a link opens the headers and cookies of the hosted page beside it, valid, dead or switched to German', async () => {
    const link = await linkForCompany(4);
    // What differs per response by nature; everything else must match, name and value.
    const perResponse = new Set(['date', 'content-length', 'set-cookie', 'x-request-id', 'connection', 'keep-alive']);
    const shape = (res: Awaited<ReturnType<HttpClient['get']>>) => ({
      headers: [...res.headers].filter(([name]) => !perResponse.has(name)),
      cookies: res.headers.getSetCookie().map((c) => c.replace(/=[^;]*/, '=…')),
    });
    for (const query of ['', '?lang=de']) {
      const beside = await new HttpClient().get(`${product.url}/reset/code${query}`);
      const expected = shape(beside);
      for (const url of [link + query, `${product.url}/reset/${'B'.repeat(43)}${query}`]) {
        const page = await new HttpClient().get(url);
        const valid = url.startsWith(link);
        expect(page.status, url).toBe(valid ? 200 : 410);
        // A dead link shows no form, so it needs no CSRF token.
        expect(shape(page), url).toEqual(valid ? expected : { ...expected, cookies: expected.cookies.filter((c) => !c.startsWith('rb.csrf=')) });
        expect(page.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
        expect(page.headers.get('content-length')).toBe(String(Buffer.byteLength(page.text)));
      }
    }
    const german = await new HttpClient().get(`${link}?lang=de`);
    expect(german.text).toContain('<html lang="de">');
  });

  it('keep a reset link out of the logs, and speak the chosen language, when the store fails under its page', async () => {
    const link = await linkForCompany(5);
    const store = product.store as { findResetByHash: (hash: string) => Promise<unknown> };
    const found = store.findResetByHash;
    store.findResetByHash = async () => {
      throw new Error('the disk went away');
    };
    try {
      const page = await new HttpClient().get(`${link}?lang=de`);
      expect(page.status).toBe(500);
      expect(page.text).toContain('<html lang="de">');
      expect(page.headers.get('cache-control')).toBe('no-store');
    } finally {
      store.findResetByHash = found;
    }
    const logs = product.logLines.join('\n');
    expect(logs).toContain('the disk went away');
    expect(logs).toContain('/reset/[token]');
    expect(logs).not.toContain(new URL(link).pathname.split('/').pop()!);
  });

  it('never redirect off-site after sign-in, whatever returnTo says', async () => {
    for (const target of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const page = await new HttpClient().get(`${product.url}/login?returnTo=${encodeURIComponent(target)}`);
      expect(formFields(page.text).returnTo, target).toBe('/admin');
    }
    const client = new HttpClient();
    const start = await client.get(`${product.url}/auth/demo-northwind/start?returnTo=${encodeURIComponent('//evil.example')}`);
    expect(start.status).toBe(302);
    const { signInAtDemoIdp } = await import('../support/http-client.js');
    const callback = await signInAtDemoIdp(client, await client.follow(start), 'alice@northwind-partners.example', 'northwind-demo');
    expect(callback.location).toBe(`${product.url}/admin`);
  });
});

describe('served over https', () => {
  let secure: Product;
  beforeAll(async () => {
    secure = await startProduct({ server: { host: '127.0.0.1', port: 0, publicUrl: 'https://reset.example.test' } } as never);
  });
  afterAll(async () => {
    await secure?.stop();
  });

  it('adds HSTS and marks cookies Secure with the __Host- prefix', async () => {
    const res = await fetch(`${secure.url}/login`);
    expect(res.headers.get('strict-transport-security')).toContain('max-age=31536000');
    const cookies = res.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) {
      expect(c).toMatch(/; Secure/i);
      expect(c).toMatch(/; SameSite=(Lax|Strict)/i);
    }
    expect(cookies.some((c) => c.startsWith('__Host-rb.csrf='))).toBe(true);
  });
});
