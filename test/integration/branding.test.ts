import { createHash } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, Customer } from '../../src/domain/types.js';
import { HttpClient, formFields, type Res } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { recipient } from '../support/smtp-sink.js';

// A real 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const PNG_HASH = createHash('sha256').update(PNG).digest('hex');
const SVG = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>');

let product: Product;
let dana: HttpClient;
let partnerCompany: { customer: Customer; account: Account };
let overrideCompany: { customer: Customer; account: Account };

async function companyWithAccount(index: number): Promise<{ customer: Customer; account: Account }> {
  const customers = (await product.store.listCustomers('northwind', { page: 1, pageSize: 100 })).items;
  const withAccounts = [];
  for (const c of customers) {
    const accounts = await product.store.listAccounts('northwind', c.id);
    if (accounts[0]) withAccounts.push({ customer: c, account: accounts[0] });
    if (withAccounts.length > index) break;
  }
  return withAccounts[index]!;
}

const page = (path: string) => dana.get(product.url + path);

async function save(client: HttpClient, path: string, fields: Record<string, string>): Promise<Res> {
  const form = await client.get(product.url + path);
  return client.post(product.url + path, { ...formFields(form.text, `form[action="${path}"]`), ...fields });
}

/** The logo form is multipart: posted with fetch and the client's cookies, as a browser would. */
async function uploadLogo(client: HttpClient, path: string, file: { bytes: Buffer; name: string; type: string } | undefined, logoUrl = ''): Promise<Res> {
  const formPage = await client.get(product.url + path);
  const body = new FormData();
  const csrf = formPage.status === 200 ? formFields(formPage.text, `form[action="${path}/logo"]`)._csrf ?? '' : '';
  body.set('_csrf', csrf);
  if (file) body.set('logo', new Blob([new Uint8Array(file.bytes)], { type: file.type }), file.name);
  body.set('logoUrl', logoUrl);
  const res = await fetch(`${product.url}${path}/logo`, { method: 'POST', body, redirect: 'manual', headers: { cookie: await client.cookies(product.url) } });
  return { url: res.url, status: res.status, headers: res.headers, text: await res.text() };
}

async function resetMail(account: Account, nth = 1): Promise<{ link: string; mail: ParsedMail }> {
  const link = await resetLinkFor(product, account.email, nth);
  const mails = product.smtp.messages.filter((m) => recipient(m).includes(account.email) && /reset/i.test(m.subject ?? ''));
  return { link, mail: mails[nth - 1]! };
}

const accountPath = (c: { customer: Customer; account: Account }) => `/admin/customers/${c.customer.id}/accounts/${c.account.id}`;

beforeAll(async () => {
  product = await startProduct();
  ({ client: dana } = await signInAsAdmin(product, 'dana@northwind-partners.example', 'northwind-demo'));
  partnerCompany = await companyWithAccount(0);
  overrideCompany = await companyWithAccount(1);
});
afterAll(async () => {
  await product?.stop();
});

describe('branding a partner', () => {
  it('shows the partner\'s logo, colour and support contact on the hosted page and in the mail, sent in its name', async () => {
    const saved = await save(dana, '/idp-admin/branding/northwind', {
      displayName: 'Northwind Care', primaryColor: '#0B5CAD', supportEmail: 'care@northwind-partners.example',
      supportUrl: 'https://help.northwind-partners.example/reset', supportPhone: '+44 20 7946 0000',
      senderName: 'Northwind IT Desk', replyTo: 'desk@northwind-partners.example',
    });
    expect(saved.status).toBe(303);
    expect((await uploadLogo(dana, '/idp-admin/branding/northwind', { bytes: PNG, name: 'logo.png', type: 'image/png' })).status).toBe(303);

    await resetThroughConsole(dana, product, accountPath(partnerCompany));
    const { link, mail } = await resetMail(partnerCompany.account);

    const form = await new HttpClient().get(link);
    const doc = parse(form.text);
    const logoPath = `/brand/logo/northwind/${PNG_HASH}.png`;
    expect(doc.querySelector('link[href="/brand/theme/0b5cad.css"]')).not.toBeNull();
    expect(doc.querySelector(`img[src="${logoPath}"]`)?.getAttribute('alt')).toBe('Northwind Care');
    expect(doc.querySelector('a[href="mailto:care@northwind-partners.example"]')).not.toBeNull();
    expect(doc.querySelector('a[href="https://help.northwind-partners.example/reset"]')).not.toBeNull();
    expect(form.text).toContain('+44 20 7946 0000');

    // The mail: logo from resetbridge (never a remote address) with alt text, brand button, support contact.
    expect(mail.html).toContain(`<img src="${product.url}${logoPath}" alt="Northwind Care"`);
    expect(mail.html).toContain('background:#0b5cad;color:#ffffff');
    expect(mail.html).toContain('mailto:care@northwind-partners.example');
    expect(mail.text).toContain('care@northwind-partners.example');
    expect(mail.text).toContain('+44 20 7946 0000');
    expect(mail.from?.value[0]).toEqual({ name: 'Northwind IT Desk', address: 'no-reply@test.example' });
    expect(mail.replyTo?.value[0]?.address).toBe('desk@northwind-partners.example');

    // The link once used still belongs to the company: its "link expired" page keeps the brand.
    expect((await submitPassword(new HttpClient(), link, 'branded pages all the way 42')).status).toBe(200);
    const dead = await new HttpClient().get(link);
    expect(dead.status).toBe(410);
    expect(parse(dead.text).querySelector(`img[src="${logoPath}"]`)).not.toBeNull();
    const unknown = await new HttpClient().get(`${product.url}/reset/${'Z'.repeat(43)}`);
    expect(unknown.status).toBe(410);
    expect(parse(unknown.text).querySelector(`img[src="${logoPath}"]`)).toBeNull();
  });

  it('serves the logo as an image that cannot be sniffed, cached by its hash, and the colour as a stylesheet', async () => {
    const logo = await fetch(`${product.url}/brand/logo/northwind/${PNG_HASH}.png`);
    expect(logo.status).toBe(200);
    expect(logo.headers.get('content-type')).toBe('image/png');
    expect(logo.headers.get('x-content-type-options')).toBe('nosniff');
    expect(logo.headers.get('cache-control')).toContain('immutable');
    expect(Buffer.from(await logo.arrayBuffer()).equals(PNG)).toBe(true);
    // Another partner's path does not reach it.
    expect((await fetch(`${product.url}/brand/logo/contoso/${PNG_HASH}.png`)).status).toBe(404);

    const css = await fetch(`${product.url}/brand/theme/0b5cad.css`);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect(await css.text()).toContain('background: #0b5cad; border-color: #0b5cad; color: #ffffff;');
    expect((await fetch(`${product.url}/brand/theme/ffeb3b.css`)).status).toBe(404);
  });

  it('lets a company override win over its partner, field by field', async () => {
    const path = `/idp-admin/branding/northwind/customers/${overrideCompany.customer.id}`;
    expect((await save(dana, path, { displayName: 'Fabrikam Helpdesk', primaryColor: '#7a1f5c', supportEmail: '', supportUrl: '', supportPhone: '', senderName: 'Fabrikam IT', replyTo: '' })).status).toBe(303);

    await resetThroughConsole(dana, product, accountPath(overrideCompany));
    const { link, mail } = await resetMail(overrideCompany.account);
    const doc = parse((await new HttpClient().get(link)).text);
    expect(doc.querySelector('link[href="/brand/theme/7a1f5c.css"]')).not.toBeNull();
    // The partner's logo, named after the company's display name; the partner's support contact.
    expect(doc.querySelector(`img[src="/brand/logo/northwind/${PNG_HASH}.png"]`)?.getAttribute('alt')).toBe('Fabrikam Helpdesk');
    expect(doc.querySelector('a[href="mailto:care@northwind-partners.example"]')).not.toBeNull();
    expect(mail.from?.value[0]?.name).toBe('Fabrikam IT');
    expect(mail.replyTo?.value[0]?.address).toBe('desk@northwind-partners.example');
    expect(mail.html).toContain('background:#7a1f5c');

    // The partner's other companies keep the partner's look.
    const other = await new HttpClient().get((await resetMail(partnerCompany.account)).link);
    expect(other.text).toContain('/brand/theme/0b5cad.css');
  });
});

describe('what the branding pages refuse', () => {
  it('refuses an SVG logo with a message, and keeps the logo there was', async () => {
    const res = await uploadLogo(dana, '/idp-admin/branding/northwind', { bytes: SVG, name: 'logo.png', type: 'image/png' });
    expect(res.status).toBe(422);
    expect(parse(res.text).querySelector('.error-summary')?.text).toContain('SVG logos are not accepted');
    expect((await product.store.getBranding('northwind'))?.logoHash).toBe(PNG_HASH);
  });

  it('refuses a logo over 200 KB with a message', async () => {
    const big = Buffer.concat([PNG.subarray(0, 8), Buffer.alloc(201 * 1024, 7)]);
    const res = await uploadLogo(dana, '/idp-admin/branding/northwind', { bytes: big, name: 'big.png', type: 'image/png' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('larger than 200 KB');
  });

  it('refuses a logo address that is not https, and a file that is no image', async () => {
    const plain = await uploadLogo(dana, '/idp-admin/branding/northwind', undefined, 'http://logos.example/logo.png');
    expect(plain.status).toBe(422);
    expect(plain.text).toContain('must start with https://');
    const text = await uploadLogo(dana, '/idp-admin/branding/northwind', { bytes: Buffer.from('GIF89a not really'), name: 'logo.gif', type: 'image/gif' });
    expect(text.text).toContain('not a PNG, JPEG or WebP image');
  });

  it('refuses a colour too light for its button to stand out, re-showing what was typed', async () => {
    const res = await save(dana, '/idp-admin/branding/northwind', {
      displayName: 'Northwind Care', primaryColor: '#ffeb3b', supportEmail: 'care@northwind-partners.example', supportUrl: '', supportPhone: '', senderName: '', replyTo: '',
    });
    expect(res.status).toBe(422);
    const doc = parse(res.text);
    expect(doc.querySelector('.error-summary')?.text).toMatch(/#ffeb3b is too light .*1\.\d\d:1.*at least 3:1/);
    expect(doc.querySelector('#primaryColor')?.getAttribute('value')).toBe('#ffeb3b');
    expect(doc.querySelector('#primaryColor')?.getAttribute('aria-describedby')).toContain('branding-error');
    expect((await product.store.getBranding('northwind'))?.primaryColor).toBe('#0b5cad');

    const word = await save(dana, '/idp-admin/branding/northwind', { primaryColor: 'blue' });
    expect(word.text).toContain('as a hex value such as #1f5fbf');
  });

  it('records every change in the audit trail, naming the fields but no values', async () => {
    const events = (await product.store.listAudit('northwind')).filter((e) => e.type.startsWith('branding.'));
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['branding.changed', 'branding.logo-changed']));
    const first = events.find((e) => e.type === 'branding.changed' && e.target === 'partner:northwind');
    expect(first?.actor).toBe('admin:dana@northwind-partners.example');
    expect(String(first?.detail?.fields)).toContain('primaryColor');
    expect(JSON.stringify(events)).not.toContain('care@northwind-partners.example');
  });

  it('shows markup in a display name as text on the hosted page and in the mail', async () => {
    const path = `/idp-admin/branding/northwind/customers/${overrideCompany.customer.id}`;
    expect((await save(dana, path, { displayName: '<script>alert(1)</script>Fabrikam', primaryColor: '', supportEmail: '', supportUrl: '', supportPhone: '', senderName: '', replyTo: '' })).status).toBe(303);
    await resetThroughConsole(dana, product, accountPath(overrideCompany));
    const { link, mail } = await resetMail(overrideCompany.account, 2);
    const form = await new HttpClient().get(link);
    expect(form.text).not.toContain('<script>alert(1)');
    expect(form.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;Fabrikam');
    expect(mail.html).not.toContain('<script>alert(1)');
  });

  it('refuses a change without the form token', async () => {
    const res = await dana.post(`${product.url}/idp-admin/branding/northwind`, { displayName: 'Forged' });
    expect(res.status).toBe(403);
    expect((await product.store.getBranding('northwind'))?.displayName).toBe('Northwind Care');
  });
});

describe('mail previews', () => {
  it('shows each template for a partner and language in a sandboxed frame, with its text version', async () => {
    const res = await page('/idp-admin/mail-previews?partner=northwind&locale=de');
    expect(res.status).toBe(200);
    const doc = parse(res.text);
    const frames = doc.querySelectorAll('iframe.mail-frame');
    expect(frames.map((f) => f.getAttribute('src'))).toEqual([
      '/idp-admin/mail-previews/northwind/reset-link/de', '/idp-admin/mail-previews/northwind/reset-link-self-service/de', '/idp-admin/mail-previews/northwind/password-changed/de',
    ]);
    expect(frames.every((f) => f.getAttribute('sandbox') === '')).toBe(true);
    expect(doc.querySelectorAll('pre.mail-text')[0]?.text).toContain('care@northwind-partners.example');

    const html = await page('/idp-admin/mail-previews/northwind/reset-link/de');
    expect(html.status).toBe(200);
    expect(html.headers.get('content-security-policy')).toMatch(/^sandbox;.*frame-ancestors 'self'/);
    expect(html.text).toContain(`/brand/logo/northwind/${PNG_HASH}.png`);
    expect(html.text).toContain('<html lang="de"');
    expect(html.text).not.toMatch(/\/reset\/[A-Za-z0-9_-]{43}/);
  });

  it('is closed to a partner admin without the IdP admin role, as are the branding pages and uploads', async () => {
    const { client: alice } = await signInAsAdmin(product, 'alice@northwind-partners.example', 'northwind-demo');
    expect((await alice.get(`${product.url}/idp-admin/mail-previews`)).status).toBe(403);
    expect((await alice.get(`${product.url}/idp-admin/mail-previews/northwind/reset-link/en`)).status).toBe(403);
    expect((await alice.get(`${product.url}/idp-admin/branding`)).status).toBe(403);
    expect((await uploadLogo(alice, '/idp-admin/branding/northwind', { bytes: PNG, name: 'x.png', type: 'image/png' })).status).toBe(403);
  });
});
