import type { PoolClient } from 'pg';
import { verifyChain } from '../../domain/audit.js';
import type { Db } from './db.js';
import { findLowdbStore, readLowdb, type LowdbData } from './import-lowdb-read.js';
import { MAIL_COLUMNS, RESET_COLUMNS, mailParams, resetParams } from './rows.js';
import { importInto } from './tenants.js';
import { SYNC_COLUMNS, syncParams } from './syncs.js';

export { findLowdbStore } from './import-lowdb-read.js';

export interface ImportReport {
  from: string;
  partners: number;
  customers: number;
  accounts: number;
  resets: number;
  auditEvents: number;
  /** The chain as read from the files; it is imported as-is either way. */
  auditChain: { ok: true } | { ok: false; seq: number; reason: string };
  mails: number;
  sessions: number;
  admins: number;
  apiClients: number;
  /** Password syncs, a sealed password still waiting for a directory included (the same data key opens it). */
  syncs: number;
  /** Webhook subscriptions (their signing secrets stay sealed with the same data key). */
  webhooks: number;
  /** Webhook deliveries with their attempt logs, those still to be sent included. */
  webhookDeliveries: number;
  /** Branding records of partners and companies, and the logo images they use. */
  brandings: number;
  brandLogos: number;
  /** SSO connections made in the console (those in the configuration file are not stored). */
  connections: number;
}

/**
 * Copies an embedded installation into an empty PostgreSQL database in one transaction: tenants,
 * resets (token hashes only, as stored), the audit chain event for event, the mail outbox,
 * sessions, SSO caches, admin records, API clients, password syncs, webhook subscriptions with
 * their deliveries and expiry sweep position, branding with its logos, and console-made SSO
 * connections. Each collection is read the way the embedded store opens it (snapshot, then journal),
 * so changes not yet compacted into a snapshot come along. Nothing is written unless all of it is.
 */
export async function importLowdb(dataDir: string, db: Db, now = new Date()): Promise<ImportReport> {
  const dir = findLowdbStore(dataDir);
  const data = await readLowdb(dir);
  const at = now.toISOString();
  const sessions = Object.entries(data.sessions).filter(([, s]) => s.expiresAt > at);
  const subscribed = new Set(data.webhooks.map((w) => w.id));
  // Deleting a subscription deletes its deliveries first, so none should be left without one; one
  // that is could never be sent and would only break the foreign key.
  const deliveries = data.deliveries.filter((d) => subscribed.has(d.subscriptionId));
  await db.tx(async (client) => {
    const used = await client.query<{ n: number }>(`SELECT (SELECT count(*) FROM partners) + (SELECT count(*) FROM resets)
      + (SELECT count(*) FROM audit_events) + (SELECT count(*) FROM webhook_subscriptions) + (SELECT count(*) FROM sso_connections)
      + (SELECT count(*) FROM branding) AS n`);
    if (Number(used.rows[0]?.n) > 0) throw new Error('The database already holds resetbridge data; import only into an empty database.');
    await importInto(client, data.tenants);
    await insertMany(client, 'resets', RESET_COLUMNS, data.resets.map(resetParams));
    await insertMany(client, 'audit_events', 'seq, at, partner_id, type, event',
      data.events.map((e) => [e.seq, e.at, e.partnerId ?? null, e.type, JSON.stringify(e)]));
    const last = data.events[data.events.length - 1];
    if (last) await client.query('UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1', [last.seq, last.hash]);
    // A mail that was being sent when the embedded instance stopped goes back to the queue.
    await insertMany(client, 'outbox', MAIL_COLUMNS, data.mails.map((m) => mailParams(m.status === 'sending' ? { ...m, status: 'queued' } : m)));
    await insertMany(client, 'sessions', 'sid, data, expires_at', sessions.map(([sid, s]) => [sid, s.data, s.expiresAt]));
    await insertMany(client, 'sso_requests', 'id, connection_id, expires_at',
      Object.entries(data.requests).map(([id, r]) => [id, r.connectionId, r.expiresAt]));
    await insertMany(client, 'seen_assertions', 'id, expires_at', Object.entries(data.seen));
    await insertMany(client, 'admins', 'connection_id, sub, partner_id, data',
      data.admins.map((a) => [a.connectionId, a.sub, a.partnerId, JSON.stringify(a)]));
    // Idempotency keys are not copied: they only matter for minutes, and clients retry.
    await insertMany(client, 'api_clients', 'id, data', data.apiClients.map((c) => [c.id, JSON.stringify(c)]));
    await insertMany(client, 'syncs', SYNC_COLUMNS, data.syncs.map(syncParams));
    await copyNewer(client, data, deliveries);
  });
  return {
    from: dir,
    partners: data.tenants.partners.length,
    customers: data.tenants.customers.length,
    accounts: data.tenants.accounts.length,
    resets: data.resets.length,
    auditEvents: data.events.length,
    auditChain: verifyChain(data.events),
    mails: data.mails.length,
    sessions: sessions.length,
    admins: data.admins.length,
    apiClients: data.apiClients.length,
    syncs: data.syncs.length,
    webhooks: data.webhooks.length,
    webhookDeliveries: deliveries.length,
    brandings: data.brandings.length,
    brandLogos: data.logos.length,
    connections: data.connections.length,
  };
}

/** Webhooks, branding and console-made connections, in the same transaction as the rest. */
async function copyNewer(client: PoolClient, data: LowdbData, deliveries: LowdbData['deliveries']): Promise<void> {
  await insertMany(client, 'webhook_subscriptions', 'id, data', data.webhooks.map((w) => [w.id, JSON.stringify(w)]));
  // A delivery that was being posted when the embedded instance stopped is due again at once, as
  // the embedded store itself would have it on its next start.
  const free = deliveries.map(({ leaseUntil: _lease, ...d }) => (d.status === 'delivering' ? { ...d, status: 'pending' as const } : d));
  await insertMany(client, 'webhook_deliveries', 'id, subscription_id, status, next_attempt_at, lease_until, created_at, data',
    free.map((d) => [d.id, d.subscriptionId, d.status, d.nextAttemptAt, null, d.createdAt, JSON.stringify(d)]));
  if (data.expiryCursor) {
    await client.query('INSERT INTO webhook_expiry_cursor (expires_at, reset_id) VALUES ($1, $2)', [data.expiryCursor.expiresAt, data.expiryCursor.resetId]);
  }
  // A partner's own record has customer_id '' (see branding.ts).
  await insertMany(client, 'branding', 'partner_id, customer_id, data',
    data.brandings.map((b) => [b.partnerId, b.customerId ?? '', JSON.stringify(b)]));
  await insertMany(client, 'brand_logos', 'partner_id, hash, content_type, bytes, created_at',
    data.logos.map((l) => [l.partnerId, l.hash, l.contentType, Buffer.from(l.data, 'base64'), l.createdAt]));
  await insertMany(client, 'sso_connections', 'id, partner_id, data', data.connections.map((c) => [c.id, c.partnerId, JSON.stringify(c)]));
}

/** Multi-row INSERTs, a few hundred rows each (a statement takes at most 65,535 parameters). */
async function insertMany(client: PoolClient, table: string, columns: string, rows: unknown[][]): Promise<void> {
  const width = columns.split(',').length;
  const perStatement = Math.floor(60_000 / width);
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const values = chunk.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`);
    await client.query(`INSERT INTO ${table} (${columns}) VALUES ${values.join(', ')}`, chunk.flat());
  }
}
