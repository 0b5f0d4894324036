import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, formFields } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';

let product: Product;
let admin: HttpClient;

beforeAll(async () => {
  product = await startProduct();
  ({ client: admin } = await signInAsAdmin(product, 'bob@contoso-reseller.example', 'contoso-demo'));
});
afterAll(async () => {
  await product?.stop();
});

let nextCustomer = 0;
/** A fresh account of Contoso's for each test, with one reset link mailed to it. */
async function accountWithLink(resets = 1) {
  const { items } = await product.store.listCustomers('contoso', { page: 1, pageSize: 50 });
  const customer = items[nextCustomer++]!;
  const account = (await product.store.listAccounts('contoso', customer.id))[0]!;
  const accountPath = `/admin/customers/${customer.id}/accounts/${account.id}`;
  const linksMailed: string[] = [];
  for (let i = 1; i <= resets; i++) {
    await resetThroughConsole(admin, product, accountPath);
    linksMailed.push(await resetLinkFor(product, account.email, i));
  }
  return { account, links: linksMailed };
}

async function directoryAccepts(login: string, password: string): Promise<boolean> {
  const adapter = product.directories.get('demo-directory')!.adapter;
  const account = await adapter.resolveAccount({ by: 'login', value: login });
  return !!account && (await adapter.verifyPassword!(account, password));
}

describe('reset links', () => {
  it('stay valid after ten GETs, as when a mail scanner fetches them first', async () => {
    const { account, links } = await accountWithLink();
    const link = links[0]!;
    const visitor = new HttpClient({ userAgent: 'MailScanner/1.0' });
    for (let i = 0; i < 10; i++) expect((await visitor.get(link)).status).toBe(200);
    const res = await submitPassword(new HttpClient(), link, 'tangerine lighthouse 77 quiet');
    expect(res.text).toContain('Your password has been changed.');
    expect(await directoryAccepts(account.login, 'tangerine lighthouse 77 quiet')).toBe(true);
  });

  it('let exactly one of two simultaneous submits set the password', async () => {
    const { account, links } = await accountWithLink();
    const link = links[0]!;
    const a = new HttpClient();
    const b = new HttpClient();
    const [pageA, pageB] = await Promise.all([a.get(link), b.get(link)]);
    const [resA, resB] = await Promise.all([
      a.post(link, { ...formFields(pageA.text), password: 'first racer wins 111 amber', confirm: 'first racer wins 111 amber' }),
      b.post(link, { ...formFields(pageB.text), password: 'second racer wins 222 cobalt', confirm: 'second racer wins 222 cobalt' }),
    ]);
    const changed = [resA, resB].filter((r) => r.text.includes('Your password has been changed.'));
    expect(changed).toHaveLength(1);
    const loser = changed[0] === resA ? resB : resA;
    expect([409, 410]).toContain(loser.status);
    const winnerPassword = changed[0] === resA ? 'first racer wins 111 amber' : 'second racer wins 222 cobalt';
    const loserPassword = changed[0] === resA ? 'second racer wins 222 cobalt' : 'first racer wins 111 amber';
    expect(await directoryAccepts(account.login, winnerPassword)).toBe(true);
    expect(await directoryAccepts(account.login, loserPassword)).toBe(false);
  });

  it('stop working when a newer link is sent for the same account', async () => {
    const { links } = await accountWithLink(2);
    const [older, newer] = links as [string, string];
    expect((await new HttpClient().get(older)).status).toBe(410);
    expect((await new HttpClient().get(newer)).status).toBe(200);
  });

  it('accept a 100-character password and check it in full, never truncated', async () => {
    const { account, links } = await accountWithLink();
    const long = 'river stone '.repeat(9).slice(0, 99) + 'Z';
    expect([...long]).toHaveLength(100);
    const res = await submitPassword(new HttpClient(), links[0]!, long);
    expect(res.text).toContain('Your password has been changed.');
    expect(await directoryAccepts(account.login, long)).toBe(true);
    expect(await directoryAccepts(account.login, long.slice(0, 99))).toBe(false);
  });

  it('never leave the raw token in the data files', async () => {
    const { links } = await accountWithLink();
    const token = links[0]!.split('/').pop()!;
    const { readdirSync, readFileSync, statSync } = await import('node:fs');
    const path = await import('node:path');
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
      const p = path.join(dir, f);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
    const files = walk(product.dataDir);
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) expect(readFileSync(f, 'latin1').includes(token), f).toBe(false);
  });
});
