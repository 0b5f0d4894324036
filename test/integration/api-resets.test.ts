// Resets requested over the API: the same mail as the console's "Reset password", the same rate
// limits, and a status the platform can follow from issued to redeemed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account } from '../../src/domain/types.js';
import { HttpClient } from '../support/http-client.js';
import { resetLinkFor, submitPassword } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { recipient } from '../support/smtp-sink.js';
import { apiClient, createClient, signInAsIdpAdmin, type Api } from './api-fixture.js';

let product: Product;
let api: Api;
let clientId: string;
/** Moves the product's clock forward, to let links expire. */
let offsetMs = 0;

beforeAll(async () => {
  product = await startProduct({}, { clock: { now: () => new Date(Date.now() + offsetMs) } });
  const dana = await signInAsIdpAdmin(product);
  const created = await createClient(product, dana, { name: 'Platform resets', scopes: ['resets:write', 'resets:read'], partnerId: 'contoso' });
  api = apiClient(product, created.token);
  clientId = created.id;
});
afterAll(async () => {
  await product?.stop();
});

/** Accounts of Contoso no other test here touches. */
let next = 0;
async function freshAccount(): Promise<Account> {
  const customers = (await product.store.listCustomers('contoso', { page: 1, pageSize: 100 })).items;
  const account = (await product.store.listAccounts('contoso', customers[next++]!.id))[0]!;
  return account;
}

const mailsTo = (email: string) => product.smtp.messages.filter((m) => recipient(m).includes(email));

describe('resets over the API', () => {
  it('mails the link to the account, and the status follows it from issued to opened to redeemed', async () => {
    const account = await freshAccount();
    const issued = await api('POST', `/partners/contoso/accounts/${account.id}/resets`);
    expect(issued.status).toBe(202);
    expect(issued.headers.get('location')).toBe(`/api/v1/resets/${issued.body.id}`);
    expect(issued.body).toMatchObject({ accountId: account.id, customerId: account.customerId, partnerId: 'contoso', status: 'issued', flow: 'admin', sync: null });
    expect(issued.text).not.toMatch(/\/reset\/[A-Za-z0-9_-]{43}/);

    const link = await resetLinkFor(product, account.email);
    expect(mailsTo(account.email)).toHaveLength(1);
    expect((await api('GET', `/resets/${issued.body.id}`)).body.status).toBe('issued');

    const browser = new HttpClient();
    expect((await browser.get(link)).status).toBe(200);
    const opened = await api('GET', `/resets/${issued.body.id}`);
    expect(opened.body).toMatchObject({ status: 'opened', openedAt: expect.any(String) });

    const done = await submitPassword(browser, link, 'copper valley 88 lantern');
    expect(done.text).toContain('Your password has been changed.');
    const redeemed = await api('GET', `/resets/${issued.body.id}`);
    expect(redeemed.body).toMatchObject({ status: 'redeemed', redeemedAt: expect.any(String) });

    const event = (await product.store.listAudit('contoso')).find((e) => e.type === 'reset.issued' && e.detail?.resetId === issued.body.id);
    expect(event?.actor).toContain(clientId);
  });

  it('reads an older link as revoked once a newer one is sent, and a link past its lifetime as expired', async () => {
    const account = await freshAccount();
    const older = await api('POST', `/partners/contoso/accounts/${account.id}/resets`);
    const newer = await api('POST', `/partners/contoso/accounts/${account.id}/resets`);
    expect((await api('GET', `/resets/${older.body.id}`)).body).toMatchObject({ status: 'revoked', revokedAt: expect.any(String) });
    expect((await api('GET', `/resets/${newer.body.id}`)).body.status).toBe('issued');
    offsetMs = 25 * 3600_000;
    try {
      expect((await api('GET', `/resets/${newer.body.id}`)).body.status).toBe('expired');
    } finally {
      offsetMs = 0;
    }
  });

  it('keeps the per-account limit: past it, 429 problem+json with Retry-After, and no mail', async () => {
    const account = await freshAccount();
    for (let i = 0; i < 3; i++) expect((await api('POST', `/partners/contoso/accounts/${account.id}/resets`)).status).toBe(202);
    await product.smtp.waitFor(() => mailsTo(account.email).length >= 3);
    const refused = await api('POST', `/partners/contoso/accounts/${account.id}/resets`);
    expect(refused.status).toBe(429);
    expect(refused.body.type).toBe('https://resetbridge.dev/problems/rate-limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(mailsTo(account.email)).toHaveLength(3);
    expect((await product.store.listAudit('contoso')).some((e) => e.type === 'reset.throttled' && e.target === `account:${account.id}`)).toBe(true);
  });

  it("does not show another partner's reset to a client restricted to one", async () => {
    const northwind = (await product.store.listCustomers('northwind', { page: 1, pageSize: 1 })).items[0]!;
    const account = (await product.store.listAccounts('northwind', northwind.id))[0]!;
    const dana = await signInAsIdpAdmin(product);
    const everyone = apiClient(product, (await createClient(product, dana, { name: 'All partners', scopes: ['resets:write'] })).token);
    const issued = await everyone('POST', `/partners/northwind/accounts/${account.id}/resets`);
    expect(issued.status).toBe(202);
    expect((await everyone('GET', `/resets/${issued.body.id}`)).status).toBe(200);
    expect((await api('GET', `/resets/${issued.body.id}`)).status).toBe(404);
  });
});
