import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpClient } from '../support/http-client.js';
import { resetThroughConsole, signInAsAdmin } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { SmtpSink } from '../support/smtp-sink.js';

let product: Product;
let sink: SmtpSink;
let admin: HttpClient;
const bounced = new Set<string>();
const busy = new Set<string>();

beforeAll(async () => {
  sink = await SmtpSink.start({
    reject: (address) => bounced.has(address) ? { code: 550, message: '5.1.1 No such mailbox here' }
      : busy.has(address) ? { code: 451, message: '4.3.0 Mailbox busy, try later' } : undefined,
  });
  product = await startProduct({}, { smtp: sink });
  ({ client: admin } = await signInAsAdmin(product, 'alice@northwind-partners.example', 'northwind-demo'));
});
afterAll(async () => {
  await product?.stop();
  await sink?.close();
});

async function account(index: number) {
  const { items } = await product.store.listCustomers('northwind', { page: 1, pageSize: 10 });
  const a = (await product.store.listAccounts('northwind', items[index]!.id))[0]!;
  return { a, path: `/admin/customers/${items[index]!.id}/accounts/${a.id}` };
}

const status = async (path: string) => /<dd id="mail-status">([\s\S]*?)<\/dd>/.exec((await admin.get(product.url + path)).text)?.[1] ?? '';

describe('the account page tells whether the reset mail arrived', () => {
  it('says delivered once the mail server accepted it', async () => {
    const { path } = await account(0);
    await resetThroughConsole(admin, product, path);
    await expect.poll(() => status(path), { timeout: 10_000 }).toContain('Delivered to the mail server');
  });

  it('shows a bounce at once, with the server\'s reason, and does not retry it', async () => {
    const { a, path } = await account(1);
    bounced.add(a.email);
    await resetThroughConsole(admin, product, path);
    await expect.poll(() => status(path), { timeout: 10_000 }).toContain('Could not be delivered');
    expect(await status(path)).toContain('No such mailbox here');
    expect((await product.store.mailOutboxStats()).waiting).toBe(0);
    expect((await product.store.listAudit('northwind')).some((e) => e.type === 'mail.bounced' && e.target === `account:${a.id}`)).toBe(true);
  });

  it('shows a temporary refusal as retrying', async () => {
    const { a, path } = await account(2);
    busy.add(a.email);
    await resetThroughConsole(admin, product, path);
    await expect.poll(() => status(path), { timeout: 10_000 }).toContain('Not delivered yet; retrying');
    expect(await status(path)).toContain('Mailbox busy');
  });
});
