import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';

let product: Product;

beforeAll(async () => {
  product = await startProduct({ metrics: { enabled: true, token: 'metrics-token-for-tests-0123' } } as never);
});
afterAll(async () => {
  await product?.stop();
});

const metric = (text: string, name: string): number =>
  text.split('\n').filter((l) => l.startsWith(name)).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);

async function scrape(): Promise<string> {
  const res = await fetch(`${product.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-for-tests-0123' } });
  expect(res.status).toBe(200);
  return res.text();
}

describe('operating resetbridge', () => {
  it('keeps /metrics behind its token', async () => {
    expect((await fetch(`${product.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${product.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('moves the reset counters and route latencies during a journey, without a token in any label', async () => {
    const before = await scrape();
    const { client: admin } = await signInAsAdmin(product, 'alice@northwind-partners.example', 'northwind-demo');
    const { items } = await product.store.listCustomers('northwind', { page: 1, pageSize: 1 });
    const account = (await product.store.listAccounts('northwind', items[0]!.id))[0]!;
    await resetThroughConsole(admin, product, `/admin/customers/${items[0]!.id}/accounts/${account.id}`);
    const link = await resetLinkFor(product, account.email);
    const user = new HttpClient();
    await submitPassword(user, link, 'short');
    await submitPassword(user, link, 'quiet lantern 55 harbour');
    await product.smtp.waitFor((m) => /password was changed/.test(m.subject ?? ''));
    await new Promise((r) => setTimeout(r, 200));
    const after = await scrape();
    const delta = (name: string) => metric(after, name) - metric(before, name);
    expect(delta('resetbridge_resets_issued_total{channel="admin"}')).toBe(1);
    expect(delta('resetbridge_resets_redeemed_total')).toBe(1);
    expect(delta('resetbridge_links_opened_total')).toBeGreaterThanOrEqual(1);
    expect(delta('resetbridge_policy_rejections_total{by="local-policy"}')).toBe(1);
    expect(delta('resetbridge_mails_total{kind="reset-link",outcome="sent"}')).toBe(1);
    expect(delta('resetbridge_admin_signins_total{outcome="success"}')).toBe(1);
    expect(delta('resetbridge_sync_attempts_total{instance="demo-directory",role="primary",result="applied"}')).toBe(1);
    expect(after).toContain('route="/reset/:token"');
    expect(metric(after, 'resetbridge_mail_outbox_depth{state="waiting"}')).toBe(0);
    expect(after).toContain('resetbridge_mail_outbox_oldest_age_seconds 0');
    expect(after).not.toContain(link.split('/').pop()!);
  });

  it('logs one line per request with a request id and the token cut out of the path', async () => {
    const token = 'B'.repeat(43);
    const res = await fetch(`${product.url}/reset/${token}`, { headers: { 'x-request-id': 'trace-abc-12345' } });
    expect(res.headers.get('x-request-id')).toBe('trace-abc-12345');
    const line = product.logLines.map((l) => JSON.parse(l) as { req?: { id?: string; path?: string }; res?: { statusCode: number } })
      .find((l) => l.req?.id === 'trace-abc-12345');
    expect(line?.req?.path).toBe('/reset/[token]');
    expect(line?.res?.statusCode).toBe(410);
    expect(product.logLines.join('\n')).not.toContain(token);

    const { client: admin } = await signInAsAdmin(product, 'alice@northwind-partners.example', 'northwind-demo');
    const { items } = await product.store.listCustomers('northwind', { page: 1, pageSize: 1 });
    await admin.get(`${product.url}/admin/customers/${items[0]!.id}`, { 'x-request-id': 'trace-company-777' });
    const companyLine = product.logLines.map((l) => JSON.parse(l) as { req?: { id?: string }; partnerId?: string; customerId?: string })
      .find((l) => l.req?.id === 'trace-company-777');
    expect(companyLine).toMatchObject({ partnerId: 'northwind', customerId: items[0]!.id });
  });

  it('reports readiness with the store and the mail transport, and fails it when the SMTP server is gone', async () => {
    const ok = await fetch(`${product.url}/readyz`);
    expect(ok.status).toBe(200);
    const body = await ok.json() as { store: string; checks: Record<string, { ok: boolean }> };
    expect(body.store).toBe('reachable');
    expect(body.checks.mail!.ok).toBe(true);
    expect(body.checks['directory:demo-directory']).toBeDefined();
    await product.smtp.close();
    const down = await fetch(`${product.url}/readyz`);
    expect(down.status).toBe(503);
    const downBody = await down.json() as { status: string; checks: Record<string, { ok: boolean; detail?: string }> };
    expect(downBody.status).toBe('unavailable');
    expect(downBody.checks.mail!.ok).toBe(false);

    // A mail that cannot be delivered waits in the outbox, and the gauges say so.
    const { items } = await product.store.listCustomers('northwind', { page: 1, pageSize: 1 });
    const account = (await product.store.listAccounts('northwind', items[0]!.id))[0]!;
    const { formFields } = await import('../support/http-client.js');
    const client = new HttpClient();
    const form = await client.get(`${product.url}/forgot/northwind`);
    await client.post(`${product.url}/forgot/northwind`, { ...formFields(form.text), identifier: account.login });
    await expect.poll(async () => metric(await scrape(), 'resetbridge_mail_outbox_depth{state="waiting"}'), { timeout: 10_000 }).toBe(1);
    expect(metric(await scrape(), 'resetbridge_mails_total{kind="reset-link",outcome="retry"}')).toBeGreaterThanOrEqual(1);
  });
});
