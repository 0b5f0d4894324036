import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';

const exec = promisify(execFile);
// The CLI reads the store this test's product uses: the embedded one, even when CI sets DATABASE_URL.
const run = (file: string, args: string[]) => exec(file, args, { env: { ...process.env, DATABASE_URL: '' } });
const cli = path.resolve('bin/resetbridge.js');
let product: Product;
let now = Date.parse('2026-11-27T09:00:00Z');
const clock = { now: () => new Date(now) };

beforeAll(async () => {
  product = await startProduct({}, { clock });
});
afterAll(async () => {
  await product?.stop();
});

async function accountAt(index: number) {
  const { items } = await product.store.listCustomers('contoso', { page: 1, pageSize: 10 });
  const customer = items[index]!;
  return { customer, account: (await product.store.listAccounts('contoso', customer.id))[0]! };
}

describe('secrets stay out of logs and the audit trail', () => {
  it('logs no password, token or reset link during a whole journey, though the log level is debug', async () => {
    const { client: admin } = await signInAsAdmin(product, 'bob@contoso-reseller.example', 'contoso-demo');
    const { customer, account } = await accountAt(0);
    await resetThroughConsole(admin, product, `/admin/customers/${customer.id}/accounts/${account.id}`);
    const link = await resetLinkFor(product, account.email);
    const token = link.split('/').pop()!;
    const user = new HttpClient();
    await submitPassword(user, link, 'too short');
    const password = 'marble harbour 64 indigo';
    expect((await submitPassword(user, link, password)).text).toContain('Your password has been changed.');
    await product.smtp.waitFor((m) => /password was changed/.test(m.subject ?? ''));
    const logs = product.logLines.join('\n');
    expect(product.logLines.length).toBeGreaterThan(3);
    for (const secret of [password, 'too short', token, link]) expect(logs).not.toContain(secret);
    const audit = JSON.stringify(await product.store.listAudit());
    for (const secret of [password, token, link]) expect(audit).not.toContain(secret);
  });

  it('records issue, send, open, redeem and sign-in as chained events that the verify command accepts', async () => {
    const types = new Set((await product.store.listAudit('contoso')).map((e) => e.type));
    for (const t of ['admin.signin', 'reset.issued', 'mail.sent', 'reset.opened', 'reset.rejected', 'reset.redeemed']) expect(types).toContain(t);
    const config = path.join(product.dataDir, 'cli.yaml');
    writeFileSync(config, `dataDir: ${product.dataDir}\n`);
    const { stdout } = await run(process.execPath, [cli, 'audit', 'verify', '--config', config, '--json']);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true });
  });

  it('shows an expired link the same page as a used one and records the expiry', async () => {
    const { client: admin } = await signInAsAdmin(product, 'bob@contoso-reseller.example', 'contoso-demo');
    const { customer, account } = await accountAt(1);
    await resetThroughConsole(admin, product, `/admin/customers/${customer.id}/accounts/${account.id}`);
    const link = await resetLinkFor(product, account.email);
    now += 24 * 3600 * 1000 + 1000;
    const res = await new HttpClient().get(link);
    expect(res.status).toBe(410);
    expect(res.text).toContain('Ask your administrator to send you a new password reset link.');
    expect((await product.store.listAudit('contoso')).some((e) => e.type === 'reset.expired')).toBe(true);
  });

  it('reports the first edited event when someone changes the audit file', async () => {
    await product.close(); // the files stay; the product is stopped before editing them
    const file = path.join(product.dataDir, 'store', 'audit.jsonl');
    const events = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { seq: number; actor: string });
    events[2]!.actor = 'admin:someone-else@contoso-reseller.example';
    writeFileSync(file, `${events.map((e) => JSON.stringify(e)).join('\n')}\n`);
    const data = { events };
    const config = path.join(product.dataDir, 'cli.yaml');
    const result = await run(process.execPath, [cli, 'audit', 'verify', '--config', config]).then(() => 0, (e: { code: number; stdout: string }) => e);
    expect(result).toMatchObject({ code: 1 });
    expect((result as { stdout: string }).stdout).toContain(`BROKEN at event ${data.events[2]!.seq}`);
  });
});
