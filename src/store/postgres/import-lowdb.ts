import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { PoolClient } from 'pg';
import { verifyChain } from '../../domain/audit.js';
import type { AdminRecord, SessionRecord } from '../../domain/ports.js';
import type { ApiClient, AuditEvent, OutboxMail, ResetRecord } from '../../domain/types.js';
import type { Db } from './db.js';
import { MAIL_COLUMNS, RESET_COLUMNS, mailParams, resetParams } from './rows.js';
import { importInto, type TenantImport } from './tenants.js';
import type { SyncRecord } from '../../domain/types.js';
import { SYNC_COLUMNS, syncParams } from './syncs.js';

/** The embedded store's files (src/store/lowdb): one JSON document per collection. */
interface LowdbFiles {
  tenants: Required<TenantImport>;
  resets: ResetRecord[];
  events: AuditEvent[];
  mails: OutboxMail[];
  sessions: Record<string, SessionRecord>;
  requests: Record<string, { connectionId: string; expiresAt: string }>;
  seen: Record<string, string>;
  admins: AdminRecord[];
  apiClients: ApiClient[];
  syncs: SyncRecord[];
}

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
}

/** `dataDir` may be the data folder (holding `store/`) or the `store/` folder itself. */
export function findLowdbStore(dataDir: string): string {
  for (const dir of [path.join(dataDir, 'store'), dataDir]) {
    if (existsSync(path.join(dir, 'tenants.json'))) return path.resolve(dir);
  }
  throw new Error(`No embedded store in ${dataDir}: expected ${path.join(dataDir, 'store', 'tenants.json')}`);
}

/** The embedded store keeps its audit trail as JSON lines (`audit.jsonl`); older versions had `audit.json`. */
function readAuditLog(dir: string): AuditEvent[] | undefined {
  const file = path.join(dir, 'audit.jsonl');
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditEvent);
}

function readLowdb(dir: string): LowdbFiles {
  const read = <T>(name: string, fallback: T): T => {
    const file = path.join(dir, `${name}.json`);
    return existsSync(file) ? { ...fallback, ...(JSON.parse(readFileSync(file, 'utf8')) as T) } : fallback;
  };
  const tenants = read('tenants', { partners: [], customers: [], accounts: [] } as Required<TenantImport>);
  const sso = read('sso', { requests: {}, seen: {}, admins: [] } as Pick<LowdbFiles, 'requests' | 'seen' | 'admins'>);
  return {
    tenants,
    resets: read('resets', { resets: [] as ResetRecord[] }).resets,
    events: readAuditLog(dir) ?? read('audit', { events: [] as AuditEvent[] }).events,
    mails: read('outbox', { mails: [] as OutboxMail[] }).mails,
    sessions: read('sessions', { sessions: {} as Record<string, SessionRecord> }).sessions,
    apiClients: read('api-clients', { clients: [] as ApiClient[] }).clients,
    syncs: read('syncs', { syncs: [] as SyncRecord[] }).syncs,
    ...sso,
  };
}

/**
 * Copies an embedded installation into an empty PostgreSQL database in one transaction: tenants,
 * resets (token hashes only, as stored), the audit chain event for event, the mail outbox,
 * sessions, SSO caches and admin records. Nothing is written unless all of it is.
 */
export async function importLowdb(dataDir: string, db: Db, now = new Date()): Promise<ImportReport> {
  const dir = findLowdbStore(dataDir);
  const data = readLowdb(dir);
  const at = now.toISOString();
  const sessions = Object.entries(data.sessions).filter(([, s]) => s.expiresAt > at);
  await db.tx(async (client) => {
    const used = await client.query<{ n: number }>(
      'SELECT (SELECT count(*) FROM partners) + (SELECT count(*) FROM resets) + (SELECT count(*) FROM audit_events) AS n');
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
  };
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
