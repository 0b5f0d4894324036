import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, formFields, type Res } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { recipient } from '../support/smtp-sink.js';

let product: Product;
let admin: HttpClient;

beforeAll(async () => {
  product = await startProduct();
  ({ client: admin } = await signInAsAdmin(product, 'bob@contoso-reseller.example', 'contoso-demo'));
});
afterAll(async () => {
  await product?.stop();
});

let next = 0;
async function mailedAccount() {
  const { items } = await product.store.listCustomers('contoso', { page: 1, pageSize: 20 });
  const customer = items[next++]!;
  const account = (await product.store.listAccounts('contoso', customer.id))[0]!;
  await resetThroughConsole(admin, product, `/admin/customers/${customer.id}/accounts/${account.id}`);
  const link = await resetLinkFor(product, account.email);
  const mail = product.smtp.messages.find((m) => recipient(m).includes(account.email))!;
  const code = /enter this code with your email address: (\d{3} \d{3})/.exec(mail.text ?? '')![1]!;
  return { account, link, code };
}

async function enterCode(client: HttpClient, email: string, code: string): Promise<Res> {
  const page = await client.get(`${product.url}/reset/code`);
  return client.post(`${product.url}/reset/code`, { ...formFields(page.text), email, code });
}

describe('the code from the email, for another device', () => {
  it('opens the same form, sets the password, and the mailed link is dead afterwards', async () => {
    const { account, link, code } = await mailedAccount();
    const phone = new HttpClient();
    const res = await enterCode(phone, account.email.toUpperCase(), code);
    expect(res.status).toBe(303);
    expect(res.location).toMatch(/\/reset\/[A-Za-z0-9_-]{43}$/);
    expect(res.location).not.toBe(link);
    const done = await submitPassword(phone, res.location!, 'lagoon ember 57 whistle');
    expect(done.text).toContain('Your password has been changed.');
    expect((await new HttpClient().get(link)).status).toBe(410);
  });

  it('refuses a code for another email address with the same words as a wrong code', async () => {
    const { code } = await mailedAccount();
    const { items } = await product.store.listCustomers('contoso', { page: 1, pageSize: 100 });
    const other = (await product.store.listAccounts('contoso', items[items.length - 1]!.id))[0]!;
    const res = await enterCode(new HttpClient(), other.email, code);
    expect(res.status).toBe(422);
    expect(res.text).toContain('That code is not right for this email address');
  });

  it('stops accepting the code after five wrong tries, while the link keeps working', async () => {
    const { account, link, code } = await mailedAccount();
    const wrong = code === '000 000' ? '111 111' : '000 000';
    const client = new HttpClient();
    for (let i = 0; i < 5; i++) expect((await enterCode(client, account.email, wrong)).status).toBe(422);
    expect((await enterCode(client, account.email, code)).status).toBe(422);
    expect((await new HttpClient().get(link)).status).toBe(200);
  });

  it('keeps the code out of the data files and the logs', async () => {
    const { code } = await mailedAccount();
    const { readdirSync, readFileSync, statSync } = await import('node:fs');
    const path = await import('node:path');
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
      const p = path.join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
    const digits = code.replace(' ', '');
    for (const f of walk(product.dataDir)) {
      const text = readFileSync(f, 'latin1');
      expect(text.includes(`"${digits}"`) || text.includes(code), f).toBe(false);
    }
    expect(product.logLines.join('\n')).not.toContain(code);
  });
});
