import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AdminRecord, SessionRecord } from '../../domain/ports.js';
import type {
  ApiClient, AuditEvent, Branding, ExpiryCursor, LogoType, OutboxMail, ResetRecord, StoredConnection, SyncRecord,
  WebhookDelivery, WebhookSubscription,
} from '../../domain/types.js';
import { AppendLog } from '../lowdb/append-log.js';
import { Journal } from '../lowdb/journal.js';
import type { TenantImport } from './tenants.js';

/** A logo as the embedded store keeps it: JSON cannot hold bytes, so they are base64 text. */
export interface LowdbLogo { partnerId: string; hash: string; contentType: LogoType; data: string; createdAt: string }

/** Everything an embedded installation holds, as its own store would load it. */
export interface LowdbData {
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
  webhooks: WebhookSubscription[];
  expiryCursor: ExpiryCursor | undefined;
  deliveries: WebhookDelivery[];
  brandings: Branding[];
  logos: LowdbLogo[];
  connections: StoredConnection[];
}

/**
 * `dataDir` may be the data folder (holding `store/`) or the `store/` folder itself. A store that
 * has never been compacted has only the journal of its tenants (`tenants.jsonl`), no snapshot.
 */
export function findLowdbStore(dataDir: string): string {
  for (const dir of [path.join(dataDir, 'store'), dataDir]) {
    if (['tenants.json', 'tenants.jsonl', 'tenants.jsonl.old'].some((f) => existsSync(path.join(dir, f)))) return path.resolve(dir);
  }
  throw new Error(`No embedded store in ${dataDir}: expected ${path.join(dataDir, 'store', 'tenants.json')} or tenants.jsonl`);
}

/**
 * One collection through the embedded store's own loader: the snapshot (`<name>.json`), then what a
 * compaction cut short left (`<name>.jsonl.old`), then the journal (`<name>.jsonl`). The names and
 * defaults are the ones src/store/lowdb opens them with.
 */
async function load<T extends object>(dir: string, name: string, defaults: T): Promise<T> {
  const journal = await Journal.open<T>(dir, name, defaults);
  try {
    return journal.data;
  } finally {
    await journal.close();
  }
}

/** The audit trail is `audit.jsonl` (an append-only log); versions before it kept `audit.json`. */
async function loadAudit(dir: string): Promise<AuditEvent[]> {
  const file = path.join(dir, 'audit.jsonl');
  const legacy = path.join(dir, 'audit.json');
  if (!existsSync(file)) {
    return existsSync(legacy) ? (JSON.parse(readFileSync(legacy, 'utf8')) as { events?: AuditEvent[] }).events ?? [] : [];
  }
  const { log, records } = await AppendLog.open<AuditEvent>(file);
  await log.close();
  if (records.length === 0 && existsSync(legacy)) return (JSON.parse(readFileSync(legacy, 'utf8')) as { events?: AuditEvent[] }).events ?? [];
  return records;
}

export async function readLowdb(dir: string): Promise<LowdbData> {
  const tenants = await load<Required<TenantImport>>(dir, 'tenants', { partners: [], customers: [], accounts: [] });
  const sso = await load(dir, 'sso', {
    requests: {} as LowdbData['requests'], seen: {} as LowdbData['seen'], admins: [] as AdminRecord[],
  });
  const webhooks = await load<{ subscriptions: WebhookSubscription[]; expiryCursor?: ExpiryCursor }>(dir, 'webhooks', { subscriptions: [] });
  return {
    tenants,
    resets: (await load(dir, 'resets', { resets: [] as ResetRecord[] })).resets,
    events: await loadAudit(dir),
    mails: (await load(dir, 'outbox', { mails: [] as OutboxMail[] })).mails,
    sessions: (await load(dir, 'sessions', { sessions: {} as Record<string, SessionRecord> })).sessions,
    requests: sso.requests,
    seen: sso.seen,
    admins: sso.admins,
    apiClients: (await load(dir, 'api-clients', { clients: [] as ApiClient[] })).clients,
    syncs: (await load(dir, 'syncs', { syncs: [] as SyncRecord[] })).syncs,
    webhooks: webhooks.subscriptions,
    expiryCursor: webhooks.expiryCursor,
    deliveries: (await load(dir, 'webhook-deliveries', { deliveries: [] as WebhookDelivery[] })).deliveries,
    brandings: Object.values((await load(dir, 'branding', { brandings: {} as Record<string, Branding> })).brandings),
    logos: Object.values((await load(dir, 'brand-logos', { logos: {} as Record<string, LowdbLogo> })).logos),
    connections: (await load(dir, 'connections', { connections: [] as StoredConnection[] })).connections,
  };
}
