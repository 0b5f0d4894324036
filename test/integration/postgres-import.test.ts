// Moving an embedded installation to PostgreSQL with `resetbridge db import-lowdb`: what was open
// before the move (a reset link, an admin's session, a queued mail, the audit chain, a webhook
// subscription, a branding logo, a console-made SSO connection) carries on after it, including
// changes the embedded store still held only in its journals.
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/domain/audit.js';
import type { AuditEvent, OutboxMail } from '../../src/domain/types.js';
import { LowdbStore } from '../../src/store/lowdb/index.js';
import { databaseUrl, freshSchema, type TestSchema } from '../contract/store-postgres-fixture.js';
import { verifyWebhookSignature } from '../../src/webhooks/signature.js';
import { HttpClient, formFields } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { startProduct, type Product } from '../support/product.js';
import { makeIdpKeys } from '../support/saml-responses.js';
import { WebhookReceiver } from '../support/webhook-receiver.js';
import { samlFields, submitConnection } from './sso-connections-fixture.js';

// A real 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const PNG_HASH = createHash('sha256').update(PNG).digest('hex');

/** Subscribes in the IdP admin's console, as an admin does; returns the id and the secret shown once. */
async function subscribe(product: Product, admin: HttpClient, url: string): Promise<{ id: string; secret: string }> {
  const page = await admin.get(`${product.url}/idp-admin/webhooks`);
  const params = new URLSearchParams({ ...formFields(page.text, 'form[action="/idp-admin/webhooks"]'), name: 'Moved along', url, partnerId: '' });
  for (const e of ['reset.issued', 'reset.completed']) params.append('events', e);
  const res = await admin['request']('POST', `${product.url}/idp-admin/webhooks`, params.toString(), { 'content-type': 'application/x-www-form-urlencoded' });
  expect(res.status, res.text).toBe(201);
  return { id: /<code id="webhook-id">([^<]+)<\/code>/.exec(res.text)![1]!, secret: /<code id="webhook-secret">([^<]+)<\/code>/.exec(res.text)![1]! };
}

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
  let receiver: WebhookReceiver;
  let webhook: { id: string; secret: string };
  const parked: OutboxMail = {
    id: randomUUID(), partnerId: 'contoso', kind: 'reset-link', sealed: 'v1.k1.parked', status: 'queued',
    attempts: 0, nextAttemptAt: '2099-01-01T00:00:00.000Z', createdAt: new Date().toISOString(),
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'resetbridge-move-'));
    schema = await freshSchema();
    embedded = await startProduct({}, { dataDir });
    ({ client: admin } = await signInAsAdmin(embedded, 'bob@contoso-reseller.example', 'contoso-demo'));
    const dana = (await signInAsAdmin(embedded, 'dana@northwind-partners.example', 'northwind-demo')).client;
    receiver = await WebhookReceiver.start();
    webhook = await subscribe(embedded, dana, receiver.url);
    const saved = await submitConnection(embedded, dana, '/idp-admin/connections/new?kind=saml', samlFields('nw-moved-saml', await makeIdpKeys('moved IdP')));
    expect(saved.status, saved.text).toBe(303);
    const createdAt = new Date().toISOString();
    await embedded.store.saveBrandLogo({ partnerId: 'northwind', hash: PNG_HASH, contentType: 'image/png', bytes: PNG, createdAt });
    await embedded.store.saveBranding({
      partnerId: 'northwind', displayName: 'Northwind Care', primaryColor: '#0a5c36', logoHash: PNG_HASH, logoType: 'image/png',
      updatedAt: createdAt, updatedBy: 'dana@northwind-partners.example',
    });
    const { items } = await embedded.store.listCustomers('contoso', { page: 1, pageSize: 1 });
    const account = (await embedded.store.listAccounts('contoso', items[0]!.id))[0]!;
    login = account.login;
    await resetThroughConsole(admin, embedded, `/admin/customers/${items[0]!.id}/accounts/${account.id}`);
    link = await resetLinkFor(embedded, account.email);
    await receiver.waitFor('reset.issued before the move', (r) => r.json.type === 'reset.issued');
    await embedded.store.enqueueMail(parked);
    await embedded.stop();
    embedded = undefined;
    // Stopped without a compaction: what was made here is only in the journals, and the webhooks'
    // journal is where a compaction cut short by a crash leaves it (renamed, the snapshot not written).
    const store = path.join(dataDir, 'store');
    for (const name of ['webhooks', 'webhook-deliveries', 'branding', 'brand-logos', 'connections']) {
      expect(existsSync(path.join(store, `${name}.json`)), name).toBe(false);
      expect(statSync(path.join(store, `${name}.jsonl`)).size, name).toBeGreaterThan(0);
    }
    renameSync(path.join(store, 'webhooks.jsonl'), path.join(store, 'webhooks.jsonl.old'));
    const lowdb = await LowdbStore.open(dataDir);
    lowdbEvents = await lowdb.listAudit();
    await lowdb.close();
  }, 60_000);
  afterAll(async () => {
    await embedded?.stop();
    await moved?.stop();
    await receiver?.close();
    await schema?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('copies everything in one go, says what it copied, and never prints the database password', async () => {
    const { code, out } = await cli(['db', 'import-lowdb', dataDir], { DATABASE_URL: schema.url });
    expect(out, out).toMatch(/2 partners, \d+ customers, \d+ accounts/);
    expect(code, out).toBe(0);
    // Only the parked mail: a delivered one leaves the embedded outbox (its outcome is audited).
    // Bob's and Dana's sessions and admin records.
    expect(out).toMatch(/1 resets, 1 outbox mails, 2 live sessions, 2 admins/);
    expect(out).toContain(`${lowdbEvents.length} audit events, chain intact`);
    expect(out).toMatch(/1 webhook subscriptions, 1 webhook deliveries/);
    expect(out).toMatch(/1 brandings, 1 logos, 1 SSO connections made in the console/);
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

  it('carries on after the move: the subscription delivers, the branding shows its logo, the connection signs in', async () => {
    expect(moved, 'the product on PostgreSQL started').toBeDefined();
    const product = moved!;
    // The reset completed after the move, signed with the secret shown before it.
    const completed = await receiver.waitFor('reset.completed after the move', (r) => r.json.type === 'reset.completed');
    expect(verifyWebhookSignature({ secret: webhook.secret, header: completed.headers['resetbridge-signature'] as string, body: completed.body })).toBe(true);
    const log = await product.store.listWebhookDeliveries(webhook.id, 10);
    expect(log.find((d) => d.eventType === 'reset.issued')).toMatchObject({ status: 'delivered' });

    const logo = await fetch(`${product.url}/brand/logo/northwind/${PNG_HASH}.png`);
    expect(logo.status).toBe(200);
    expect(Buffer.from(await logo.arrayBuffer()).equals(PNG)).toBe(true);
    expect(await product.store.getBranding('northwind')).toMatchObject({ displayName: 'Northwind Care', logoHash: PNG_HASH });

    expect((await product.store.listConnections('northwind')).map((c) => c.id)).toContain('nw-moved-saml');
    const start = await new HttpClient().get(`${product.url}/auth/nw-moved-saml/start`);
    expect(start.status).toBe(302);
    expect(start.location!.startsWith('https://idp.partner-saml.example/sso?')).toBe(true);
  });
});
