// Webhooks end to end: subscriptions made in the IdP admin's console, events from real resets,
// signed deliveries to a real HTTP receiver on 127.0.0.1, retries, the delivery log, expiry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Account, AdminUser } from '../../src/domain/types.js';
import { verifyWebhookSignature } from '../../src/webhooks/signature.js';
import { HttpClient, formFields, type Res } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { until } from '../support/wait.js';
import { WebhookReceiver, type Received } from '../support/webhook-receiver.js';

let product: Product;
let offsetMs = 0;
let idpAdmin: HttpClient;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  product = await startProduct(
    { webhooks: { pollMs: 50, retryBaseMs: 200, retryMaxMs: 1000, expirySweepSeconds: 1 } },
    { clock: { now: () => new Date(Date.now() + offsetMs) } },
  );
  idpAdmin = (await signInAsAdmin(product, 'dana@northwind-partners.example', 'northwind-demo')).client;
});
afterAll(async () => {
  for (const r of receivers) await r.close();
  await product?.stop();
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.start();
  receivers.push(r);
  return r;
}

function postForm(client: HttpClient, url: string, params: URLSearchParams): Promise<Res> {
  // Repeated fields (one per checked event type), which the client's record-shaped post cannot send.
  return client['request']('POST', url, params.toString(), { 'content-type': 'application/x-www-form-urlencoded' });
}

async function createSubscription(fields: { name: string; url: string; events: string[]; partnerId?: string }): Promise<Res> {
  const page = await idpAdmin.get(`${product.url}/idp-admin/webhooks`);
  const params = new URLSearchParams({
    ...formFields(page.text, 'form[action="/idp-admin/webhooks"]'), name: fields.name, url: fields.url, partnerId: fields.partnerId ?? '',
  });
  for (const e of fields.events) params.append('events', e);
  return postForm(idpAdmin, `${product.url}/idp-admin/webhooks`, params);
}

async function subscribe(fields: Parameters<typeof createSubscription>[0]): Promise<{ id: string; secret: string }> {
  const res = await createSubscription(fields);
  expect(res.status, res.text).toBe(201);
  return { id: /<code id="webhook-id">([^<]+)<\/code>/.exec(res.text)![1]!, secret: /<code id="webhook-secret">([^<]+)<\/code>/.exec(res.text)![1]! };
}

/** Presses a button on a subscription's page, as the admin does. */
async function press(id: string, action: string): Promise<Res> {
  const page = await idpAdmin.get(`${product.url}/idp-admin/webhooks/${id}`);
  const res = await idpAdmin.post(`${product.url}${action}`, formFields(page.text, `form[action="${action}"]`));
  expect(res.status, res.text).toBe(303);
  return idpAdmin.follow(res);
}

let nextAccount = 0;
async function freshAccount(partnerId: string): Promise<Account> {
  const customers = await product.store.listCustomers(partnerId, { page: 1, pageSize: 20 });
  const c = customers.items[nextAccount++ % customers.items.length]!;
  return (await product.store.listAccounts(partnerId, c.id))[0]!;
}

const issuedFor = (accountId: string) => (r: Received) => r.json.type === 'reset.issued' && r.json.data.accountId === accountId;

describe('webhook subscriptions in the IdP admin console', () => {
  it('is refused to a partner admin without the IdP admin role', async () => {
    const { client } = await signInAsAdmin(product, 'alice@northwind-partners.example', 'northwind-demo');
    expect((await client.get(`${product.url}/idp-admin/webhooks`)).status).toBe(403);
  });

  it('shows the signing secret once, on creation, and never on the list', async () => {
    const r = await receiver();
    const { id, secret } = await subscribe({ name: 'Secret shown once', url: r.url, events: ['reset.issued'] });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const list = await idpAdmin.get(`${product.url}/idp-admin/webhooks`);
    expect(list.text).toContain('Secret shown once');
    expect(list.text).not.toContain(secret);
    const detail = await idpAdmin.get(`${product.url}/idp-admin/webhooks/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.text).not.toContain(secret);
    // Nor is it anywhere in the store's files in clear.
    const stored = await product.store.getWebhook(id);
    expect(JSON.stringify(stored)).not.toContain(secret);
  });

  it('refuses a plain-http URL to another host, and keeps what was typed', async () => {
    const res = await createSubscription({ name: 'Plain http', url: 'http://receiver.example/hooks', events: ['reset.issued'] });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Use an https:// URL; http:// is accepted only for this machine');
    expect(res.text).toContain('value="Plain http"');
    expect((await product.store.listWebhooks()).some((s) => s.name === 'Plain http')).toBe(false);
  });
});

describe('events out', () => {
  let everything: WebhookReceiver;
  let secret: string;
  let contoso: WebhookReceiver;
  let northwindAccount: Account;
  let issued: Received;
  let link: string;

  beforeAll(async () => {
    everything = await receiver();
    contoso = await receiver();
    ({ secret } = await subscribe({ name: 'Everything', url: everything.url, events: ['reset.issued', 'reset.completed', 'reset.expired', 'sync.failed', 'sync.needs_attention'] }));
    await subscribe({ name: 'Contoso only', url: contoso.url, events: ['reset.issued', 'reset.expired'], partnerId: 'contoso' });
  });

  it('signs a reset issued in the console as reset.issued, which the receiver verifies', async () => {
    northwindAccount = await freshAccount('northwind');
    await resetThroughConsole(idpAdmin, product, `/admin/customers/${northwindAccount.customerId}/accounts/${northwindAccount.id}`);
    issued = await everything.waitFor('reset.issued', issuedFor(northwindAccount.id));
    expect(issued.headers['resetbridge-event-type']).toBe('reset.issued');
    expect(issued.headers['resetbridge-event-id']).toBe(issued.json.id);
    expect(verifyWebhookSignature({ secret, header: issued.headers['resetbridge-signature'] as string, body: issued.body })).toBe(true);
    expect(issued.json.data).toMatchObject({
      partnerId: 'northwind', customerId: northwindAccount.customerId, accountId: northwindAccount.id, flow: 'admin', channel: 'mail',
    });
    const reset = await product.store.getReset(String(issued.json.data.resetId), 'northwind');
    expect(reset?.accountId).toBe(northwindAccount.id);
  });

  it('does not verify with a wrong secret, an edited body or an old timestamp', () => {
    const header = issued.headers['resetbridge-signature'] as string;
    const t = Number(/t=(\d+)/.exec(header)![1]);
    expect(verifyWebhookSignature({ secret: `${secret}x`, header, body: issued.body })).toBe(false);
    expect(verifyWebhookSignature({ secret, header, body: issued.body.replace('northwind', 'contoso') })).toBe(false);
    expect(verifyWebhookSignature({ secret, header, body: issued.body, nowSeconds: t + 301 })).toBe(false);
    expect(verifyWebhookSignature({ secret, header, body: issued.body, nowSeconds: t + 299 })).toBe(true);
  });

  it('never carries the token, the link or the code', async () => {
    link = await resetLinkFor(product, northwindAccount.email);
    const token = link.slice(link.lastIndexOf('/') + 1);
    const mail = product.smtp.messages.find((m) => (m.text ?? '').includes(token))!;
    const code = /\b(\d{3} \d{3})\b/.exec(mail.text ?? '')?.[1];
    for (const r of everything.received) {
      expect(r.body).not.toContain(token);
      expect(r.body).not.toContain('/reset/');
      if (code) expect(r.body).not.toContain(code.replace(' ', ''));
    }
  });

  it('sends reset.completed when the user sets a new password', async () => {
    const done = await submitPassword(new HttpClient(), link, 'Quiet-Meadow-Lantern-4821');
    expect(done.status, done.text).toBe(200);
    const completed = await everything.waitFor('reset.completed', (r) => r.json.type === 'reset.completed' && r.json.data.resetId === issued.json.data.resetId);
    expect(completed.json.data).toMatchObject({ partnerId: 'northwind', customerId: northwindAccount.customerId, accountId: northwindAccount.id });
    expect(completed.body).not.toContain('Quiet-Meadow-Lantern-4821');
  });

  it("gives a partner-restricted subscription its partner's events and nothing of another partner", async () => {
    const account = await freshAccount('contoso');
    const bob: AdminUser = { sub: 'bob', connectionId: 'test', partnerId: 'contoso', email: 'bob@contoso-reseller.example', name: 'Bob', roles: ['partner-admin'] };
    await product.services.reset.issue(bob, account.customerId, account.id, { ip: '127.0.0.1', userAgent: 'test' });
    await contoso.waitFor('contoso reset.issued', issuedFor(account.id));
    // The global subscription got it too, so the worker has been through both.
    await everything.waitFor('contoso reset.issued (global)', issuedFor(account.id));
    expect(everything.received.some((r) => r.json.data.partnerId === 'northwind')).toBe(true);
    expect(contoso.received.length).toBeGreaterThan(0);
    expect(contoso.received.filter((r) => r.json.data.partnerId !== 'contoso')).toEqual([]);
  });

  it('retries a receiver that answers 500, honours Retry-After, and shows both attempts in the log', async () => {
    const flaky = await receiver();
    flaky.answers.push({ status: 500, headers: { 'Retry-After': '1' } });
    const { id } = await subscribe({ name: 'Flaky', url: flaky.url, events: ['reset.issued'] });
    await press(id, `/idp-admin/webhooks/${id}/test`);
    await until('two tries', () => flaky.received.length >= 2);
    const [first, second] = flaky.received as [Received, Received];
    expect(second.json.id).toBe(first.json.id);
    expect(second.body).toBe(first.body);
    expect(first.json.type).toBe('webhook.test');
    expect(second.at - first.at).toBeGreaterThanOrEqual(900);

    const page = await until('the log page to show the delivery', async () => {
      const p = await idpAdmin.get(`${product.url}/idp-admin/webhooks/${id}`);
      return p.text.includes('Delivered') ? p : undefined;
    });
    const statuses = [...page.text.matchAll(/<span class="attempt-status">([^<]+)<\/span>/g)].map((m) => m[1]);
    expect(statuses).toEqual(['HTTP 500', 'HTTP 204']);
    const metrics = await fetch(`${product.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/resetbridge_webhook_deliveries_total\{outcome="retry"\} [1-9]/);
    expect(metrics).toMatch(/resetbridge_webhook_deliveries_total\{outcome="delivered"\} [1-9]/);

    // Redeliver sends the same event again as a delivery of its own.
    const after = await press(id, `/idp-admin/webhooks/${id}/deliveries/${/id="delivery-(whd_[^"]+)"/.exec(page.text)![1]}/redeliver`);
    expect(after.text).toContain('The event is queued again');
    await until('the redelivery', () => flaky.received.length >= 3);
    expect(flaky.received[2]!.json.id).toBe(first.json.id);
  });

  // Last: it moves the product's clock a day on.
  it('sends reset.expired once for a link that expired unused, and never for a used one', async () => {
    const unusedId = String(everything.received.find((r) => r.json.type === 'reset.issued' && r.json.data.partnerId === 'contoso')!.json.data.resetId);
    offsetMs = 25 * 3600_000;
    const expired = await everything.waitFor('reset.expired', (r) => r.json.type === 'reset.expired' && r.json.data.resetId === unusedId);
    expect(expired.json.data).toMatchObject({ partnerId: 'contoso', flow: 'admin' });
    await contoso.waitFor('reset.expired (contoso)', (r) => r.json.type === 'reset.expired' && r.json.data.resetId === unusedId);
    // A few more sweeps: still once, and the redeemed link never counts as expired.
    await new Promise((r) => setTimeout(r, 2500));
    expect(everything.ofType('reset.expired').filter((r) => r.json.data.resetId === unusedId)).toHaveLength(1);
    expect(everything.ofType('reset.expired').some((r) => r.json.data.resetId === issued.json.data.resetId)).toBe(false);
    const audited = (await product.store.listAudit('contoso')).filter((e) => e.type === 'reset.lapsed' && e.detail?.resetId === unusedId);
    expect(audited).toHaveLength(1);
  });
});
