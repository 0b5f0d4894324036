// Moving an embedded installation to PostgreSQL with `resetbridge db import-lowdb`: what was open
// before the move (a reset link, an admin's session, a queued mail, the audit chain) carries on after it.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/domain/audit.js';
import type { AuditEvent, OutboxMail } from '../../src/domain/types.js';
import { LowdbStore } from '../../src/store/lowdb/index.js';
import { databaseUrl, freshSchema, type TestSchema } from '../contract/store-postgres-fixture.js';
import { HttpClient } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(root, 'bin', 'resetbridge.js'), ...args], {
      cwd: root, env: { ...process.env, ...env }, timeout: 60_000,
    });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

describe.skipIf(!databaseUrl)('moving an embedded installation to PostgreSQL', () => {
  let dataDir: string;
  let schema: TestSchema;
  let embedded: Product | undefined;
  let moved: Product | undefined;
  let admin: HttpClient;
  let link: string;
  let login: string;
  let lowdbEvents: AuditEvent[];
  const parked: OutboxMail = {
    id: randomUUID(), partnerId: 'contoso', kind: 'reset-link', sealed: 'v1.k1.parked', status: 'queued',
    attempts: 0, nextAttemptAt: '2099-01-01T00:00:00.000Z', createdAt: new Date().toISOString(),
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'resetbridge-move-'));
    schema = await freshSchema();
    embedded = await startProduct({}, { dataDir });
    ({ client: admin } = await signInAsAdmin(embedded, 'bob@contoso-reseller.example', 'contoso-demo'));
    const { items } = await embedded.store.listCustomers('contoso', { page: 1, pageSize: 1 });
    const account = (await embedded.store.listAccounts('contoso', items[0]!.id))[0]!;
    login = account.login;
    await resetThroughConsole(admin, embedded, `/admin/customers/${items[0]!.id}/accounts/${account.id}`);
    link = await resetLinkFor(embedded, account.email);
    await embedded.store.enqueueMail(parked);
    await embedded.stop();
    embedded = undefined;
    const lowdb = await LowdbStore.open(dataDir);
    lowdbEvents = await lowdb.listAudit();
    await lowdb.close();
  }, 60_000);
  afterAll(async () => {
    await embedded?.stop();
    await moved?.stop();
    await schema?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('copies everything in one go, says what it copied, and never prints the database password', async () => {
    const { code, out } = await cli(['db', 'import-lowdb', dataDir], { DATABASE_URL: schema.url });
    expect(out, out).toMatch(/2 partners, \d+ customers, \d+ accounts/);
    expect(code, out).toBe(0);
    // Only the parked mail: a delivered one leaves the embedded outbox (its outcome is audited).
    expect(out).toMatch(/1 resets, 1 outbox mails, 1 live sessions, 1 admins/);
    expect(out).toContain(`${lowdbEvents.length} audit events, chain intact`);
    expect(out).not.toContain(new URL(schema.url).password);
  });

  it('refuses to import into a database that already holds data', async () => {
    const { code, out } = await cli(['db', 'import-lowdb', dataDir], { DATABASE_URL: schema.url });
    expect(code).toBe(2);
    expect(out).toContain('already holds resetbridge data');
  });

  it('carries on after the move: the session, the link, the queued mail and the audit chain', async () => {
    moved = await startProduct({}, { dataDir, databaseUrl: schema.url });
    // Signed in before the move, still signed in after it.
    const console = await admin.get(`${moved.url}/admin/customers`);
    expect(console.status).toBe(200);
    expect(console.text).toContain('Contoso');

    const res = await submitPassword(new HttpClient(), link.replace(/^http:\/\/[^/]+/, moved.url), 'copper meadow 58 signal');
    expect(res.text).toContain('Your password has been changed.');
    const adapter = moved.directories.get('demo-directory')!.adapter;
    const found = await adapter.resolveAccount({ by: 'login', value: login });
    expect(await adapter.verifyPassword!(found!, 'copper meadow 58 signal')).toBe(true);

    expect((await moved.store.claimMail('2099-01-01T00:00:00.000Z', 50)).map((m) => m.id)).toContain(parked.id);

    const events = await moved.store.listAudit();
    expect(events.slice(0, lowdbEvents.length)).toEqual(lowdbEvents);
    expect(events.length).toBeGreaterThan(lowdbEvents.length);
    expect(verifyChain(events)).toEqual({ ok: true });
  });
});
