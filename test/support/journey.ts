import type { ParsedMail } from 'mailparser';
import { parse } from 'node-html-parser';
import { expect } from 'vitest';
import { HttpClient, formFields, signInAtDemoIdp, type Res } from './http-client.js';
import type { Product } from './product.js';
import { recipient } from './smtp-sink.js';

/** Signs a partner admin in the way a person does: work email → company IdP → back in the console. */
export async function signInAsAdmin(product: Product, email: string, password: string): Promise<{ client: HttpClient; landing: Res }> {
  const client = new HttpClient();
  const loginPage = await client.get(`${product.url}/login`);
  expect(loginPage.status).toBe(200);
  const toIdp = await client.post(`${product.url}/login`, { ...formFields(loginPage.text), email });
  expect(toIdp.status).toBe(302);
  const idpLogin = await client.follow(toIdp);
  const callback = await signInAtDemoIdp(client, idpLogin, email, password);
  const landing = await client.follow(callback);
  return { client, landing };
}

export function links(html: string): Array<{ text: string; href: string }> {
  return parse(html).querySelectorAll('a').map((a) => ({ text: a.text.trim(), href: a.getAttribute('href') ?? '' }));
}

export function linkTo(html: string, text: string): string {
  const found = links(html).find((l) => l.text === text);
  if (!found) throw new Error(`no link "${text}" in page`);
  return found.href;
}

/** Reset password → notice → OK, as the admin clicks it; returns the page shown afterwards. */
export async function resetThroughConsole(client: HttpClient, product: Product, accountPath: string): Promise<Res> {
  const accountPage = await client.get(product.url + accountPath);
  const notice = await client.get(product.url + linkTo(accountPage.text, 'Reset password'));
  expect(notice.status).toBe(200);
  const form = parse(notice.text).querySelector('form[action$="/reset"]');
  const ok = await client.post(product.url + form!.getAttribute('action'), formFields(notice.text, 'form[action$="/reset"]'));
  expect(ok.status).toBe(303);
  return client.follow(ok);
}

const isResetMailTo = (address: string) => (m: ParsedMail) => recipient(m).includes(address) && /reset your password/i.test(m.subject ?? '');

/** Waits for the reset mail number `nth` (1-based) sent to `address` and returns its link. */
export async function resetLinkFor(product: Product, address: string, nth = 1): Promise<string> {
  const match = isResetMailTo(address);
  await product.smtp.waitFor(() => product.smtp.messages.filter(match).length >= nth);
  const mail = product.smtp.messages.filter(match)[nth - 1]!;
  const found = /(http:\/\/\S+\/reset\/[A-Za-z0-9_-]{43})/.exec(mail.text ?? '');
  if (!found) throw new Error('no reset link in the mail');
  return found[1]!;
}

export async function submitPassword(client: HttpClient, link: string, password: string, confirm = password): Promise<Res> {
  const page = await client.get(link);
  return client.post(link, { ...formFields(page.text), password, confirm });
}
