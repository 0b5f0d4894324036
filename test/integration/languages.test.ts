import type { ParsedMail } from 'mailparser';
import { parse } from 'node-html-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, AdminUser, Customer, Partner } from '../../src/domain/types.js';
import { HttpClient, formFields } from '../support/http-client.js';
import { startProduct, type Product } from '../support/product.js';
import { recipient } from '../support/smtp-sink.js';

let product: Product;
let partner: Partner;
let customers: Customer[];
const admin: AdminUser = {
  sub: 'alice', connectionId: 'demo-northwind', partnerId: 'northwind', email: 'alice@northwind-partners.example', name: 'Alice', roles: ['partner-admin'],
};
const ctx = { ip: '127.0.0.1', userAgent: 'test' };

beforeAll(async () => {
  product = await startProduct();
  partner = (await product.store.getPartner('northwind'))!;
  customers = (await product.store.listCustomers('northwind', { page: 1, pageSize: 10 } as never)).items;
});
afterAll(async () => {
  await product?.stop();
});

/** A fresh account of its own for each test, so one test's settings never meet another's. */
let nth = 0;
async function account(customer: Customer, extra: Partial<Account> = {}): Promise<Account> {
  nth += 1;
  const a: Account = {
    id: `acc_lang_${nth}`, partnerId: 'northwind', customerId: customer.id, name: `Mina Sato ${nth}`,
    login: `mina.sato${nth}`, email: `mina.sato${nth}@languages.example`, ...extra,
  };
  await product.store.saveAccounts('northwind', [a]);
  return a;
}

async function setCustomer(c: Customer, defaultLocale: string | undefined): Promise<Customer> {
  const { defaultLocale: _old, ...rest } = c;
  const next = defaultLocale ? { ...rest, defaultLocale } : rest;
  await product.store.saveCustomers('northwind', [next]);
  return next;
}

async function setPartner(defaultLocale: string | undefined): Promise<void> {
  const { defaultLocale: _old, ...rest } = partner;
  await product.store.savePartner(defaultLocale ? { ...rest, defaultLocale } : rest);
}

const mailTo = (address: string, subject: RegExp) => (m: ParsedMail) => recipient(m).includes(address) && subject.test(m.subject ?? '');

async function resetMail(a: Account): Promise<{ mail: ParsedMail; link: string }> {
  await product.services.reset.issue(admin, a.customerId, a.id, ctx);
  const mail = await product.smtp.waitFor((m) => recipient(m).includes(a.email));
  const link = /(http:\/\/\S+\/reset\/[A-Za-z0-9_-]{43})/.exec(mail.text ?? '')![1]!;
  return { mail, link };
}

const htmlLang = (html: string) => parse(html).querySelector('html')?.getAttribute('lang');
const heading = (html: string) => parse(html).querySelector('h1')?.text.trim();

describe('pages and mails in the reader\'s language', () => {
  it('gives an account that prefers Japanese a Japanese mail and a Japanese page, times in its own zone', async () => {
    const a = await account(customers[0]!, { locale: 'ja-JP', timeZone: 'Asia/Tokyo' });
    const { mail, link } = await resetMail(a);
    expect(mail.subject).toBe('Northwind Partners：パスワードの再設定');
    expect(mail.text).toContain(`${a.name} 様`);
    expect(mail.text).toContain('新しいパスワードはこちらで設定できます');
    expect(mail.text).toMatch(/\d{4}年\d{1,2}月\d{1,2}日 \d{1,2}:\d{2} JST に期限切れ/);
    expect(mail.html).toContain('<html lang="ja">');
    expect(mail.html).toContain('新しいパスワードを設定');
    expect(mail.text).not.toMatch(/Hello|Set a new password|expires on/);

    const page = await new HttpClient().get(link, { 'accept-language': 'en-US,en;q=0.9' });
    expect(page.status).toBe(200);
    expect(htmlLang(page.text)).toBe('ja');
    expect(heading(page.text)).toBe('新しいパスワードの設定');
    expect(parse(page.text).querySelector('#requirements')?.text).toContain('12 文字以上');
    expect(parse(page.text).querySelector('#link-expiry')?.text).toMatch(/JST です。$/);
  });

  it('follows account, then company, then partner, then the browser, for pages and mails alike', async () => {
    const customer = customers[1]!;
    await setPartner('fr');
    try {
      let c = await setCustomer(customer, 'es');
      const withAll = await account(c, { locale: 'de' });
      const { mail: deMail, link: deLink } = await resetMail(withAll);
      expect(deMail.subject).toBe('Northwind Partners: Passwort zurücksetzen');
      expect(heading((await new HttpClient().get(deLink, { 'accept-language': 'ja' })).text)).toBe('Neues Passwort festlegen');

      const noAccountChoice = await account(c);
      const { mail: esMail, link: esLink } = await resetMail(noAccountChoice);
      expect(esMail.subject).toBe('Northwind Partners: restablezca su contraseña');
      expect(heading((await new HttpClient().get(esLink, { 'accept-language': 'ja' })).text)).toBe('Establecer una contraseña nueva');

      c = await setCustomer(customer, undefined);
      const partnerOnly = await account(c);
      const { mail: frMail, link: frLink } = await resetMail(partnerOnly);
      expect(frMail.subject).toBe('Northwind Partners : réinitialisez votre mot de passe');
      expect(heading((await new HttpClient().get(frLink, { 'accept-language': 'ja' })).text)).toBe('Choisir un nouveau mot de passe');

      await setPartner(undefined);
      const nothingStored = await account(c);
      const { mail: enMail, link: enLink } = await resetMail(nothingStored);
      // An admin's reset says nothing about the user's language: English unless something is stored.
      expect(enMail.subject).toBe('Northwind Partners: reset your password');
      const jaPage = await new HttpClient().get(enLink, { 'accept-language': 'ja,en;q=0.5' });
      expect(heading(jaPage.text)).toBe('新しいパスワードの設定');
    } finally {
      await setPartner(undefined);
      await setCustomer(customer, undefined);
    }
  });

  it('explains a too-short password in German to a German account, from the rule\'s code', async () => {
    const a = await account(customers[2]!, { locale: 'de' });
    const { link } = await resetMail(a);
    const client = new HttpClient();
    const form = await client.get(link);
    const refused = await client.post(link, { ...formFields(form.text), password: 'kurz', confirm: 'kurz' });
    expect(refused.status).toBe(422);
    const summary = parse(refused.text).querySelector('#password-problems');
    expect(summary?.querySelector('h2')?.text).toBe('Ihr Passwort wurde nicht geändert');
    expect(summary?.querySelectorAll('li').map((li) => li.text)).toContain('Verwenden Sie mindestens 12 Zeichen (dieses hat 4).');
  });

  it('falls back to English for a language it does not have, and the switcher changes and remembers the language', async () => {
    const a = await account(customers[3]!, { locale: 'tlh' });
    const { mail, link } = await resetMail(a);
    expect(mail.subject).toBe('Northwind Partners: reset your password');
    const client = new HttpClient();
    const page = await client.get(link, { 'accept-language': 'ko-KR, tlh;q=0.8' });
    expect(htmlLang(page.text)).toBe('en');
    expect(heading(page.text)).toBe('Set a new password');

    // The switcher's links carry only the language: the token stays where it was, in the path.
    const switcher = parse(page.text).querySelectorAll('nav.languages a').map((x) => x.getAttribute('href'));
    expect(switcher).toEqual(['?lang=ja', '?lang=de', '?lang=fr', '?lang=es']);
    const spanish = await client.get(new URL('?lang=es', link).toString());
    expect(htmlLang(spanish.text)).toBe('es');
    expect(spanish.headers.get('set-cookie')).toMatch(/rb\.lang=es/);
    const again = await client.get(link);
    expect(heading(again.text)).toBe('Establecer una contraseña nueva');
  });

  it('tells a French user the directory refused a password used before, in French, from the directory\'s reason code', async () => {
    const demo = (await product.store.listAccounts('northwind', customers[5]!.id))[0]!;
    const a = { ...demo, locale: 'fr' };
    await product.store.saveAccounts('northwind', [a]);
    const password = 'lantern harbour 58 quill';
    const client = new HttpClient();
    const first = await resetMail(a);
    const form = await client.get(first.link);
    expect((await client.post(first.link, { ...formFields(form.text), password, confirm: password })).status).toBe(200);
    await product.smtp.waitFor((m) => recipient(m).includes(a.email) && /modifié/.test(m.subject ?? ''));

    await product.services.reset.issue(admin, a.customerId, a.id, ctx);
    const second = await product.smtp.waitFor((m) => recipient(m).includes(a.email) && /réinitialisez/.test(m.subject ?? '') && !(m.text ?? '').includes(first.link));
    const link = /(http:\/\/\S+\/reset\/[A-Za-z0-9_-]{43})/.exec(second.text ?? '')![1]!;
    const again = await client.get(link);
    const refused = await client.post(link, { ...formFields(again.text), password, confirm: password });
    expect(refused.status).toBe(422);
    const problems = parse(refused.text).querySelectorAll('#password-problems li').map((li) => li.text);
    expect(problems).toEqual(['Vous avez déjà utilisé ce mot de passe. Choisissez-en un que vous n’avez jamais utilisé.']);
  });

  it('words error pages in the browser\'s language, and the console only in the languages it has', async () => {
    const missing = await new HttpClient().get(`${product.url}/forgot/no-such-partner`, { 'accept-language': 'de-DE,de;q=0.9' });
    expect(missing.status).toBe(404);
    expect(htmlLang(missing.text)).toBe('de');
    expect(heading(missing.text)).toBe('Nicht gefunden');
    expect(missing.text).toContain('Seite nicht gefunden.');

    const japanese = await new HttpClient().get(`${product.url}/login`, { 'accept-language': 'ja' });
    expect(htmlLang(japanese.text)).toBe('ja');
    expect(heading(japanese.text)).toBe('resetbridge にサインイン');
    // German is a public-page language only: the sign-in page stays English and offers no German.
    const german = await new HttpClient().get(`${product.url}/login`, { 'accept-language': 'de' });
    expect(htmlLang(german.text)).toBe('en');
    expect(parse(german.text).querySelectorAll('nav.languages a').map((x) => x.getAttribute('hreflang'))).toEqual(['ja']);
  });

  it('mails a self-service link in the requester\'s browser language when nothing is stored', async () => {
    const a = await account(customers[4]!);
    const client = new HttpClient();
    const page = await client.get(`${product.url}/forgot/northwind`, { 'accept-language': 'fr-CA,fr;q=0.9' });
    expect(heading(page.text)).toBe('Mot de passe oublié ?');
    const sent = await client.post(`${product.url}/forgot/northwind`, { ...formFields(page.text), identifier: a.login }, { 'accept-language': 'fr-CA,fr;q=0.9' });
    expect(sent.status).toBe(200);
    expect(parse(sent.text).querySelector('h1 + p')?.text).toMatch(/expire dans \d+ minutes\.$/);
    const mail = await product.smtp.waitFor(mailTo(a.email, /réinitialisez/));
    expect(mail.text).toContain('Quelqu’un a demandé la réinitialisation');
  });
});
