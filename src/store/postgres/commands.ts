// What `resetbridge db …` runs. Output is plain lines for an operator; the URL is never printed.
import { Db, describeTarget, type PostgresSettings, type StoreLogger } from './db.js';
import { importLowdb } from './import-lowdb.js';
import { migrate } from './migrate.js';

export interface StoreSection {
  postgres: Omit<PostgresSettings, 'url'> & { url?: string | undefined };
}

type Print = (line: string) => void;

function settingsFrom(store: StoreSection): PostgresSettings {
  const { url, ...rest } = store.postgres;
  if (!url) throw new Error('No PostgreSQL database is configured: set DATABASE_URL or store.postgres.url.');
  return { url, ...rest };
}

const warnings = (print: Print): StoreLogger => ({
  info: () => undefined,
  warn: (obj, msg) => print(`warning: ${msg ?? ''} ${JSON.stringify(obj)}`),
});

export async function migrateCommand(store: StoreSection, print: Print): Promise<void> {
  const settings = settingsFrom(store);
  const db = await Db.connect(settings, warnings(print));
  try {
    const ran = await migrate(db, warnings(print));
    print(ran.length ? `applied ${ran.join(', ')} to ${describeTarget(settings.url)}` : `${describeTarget(settings.url)} is up to date`);
  } finally {
    await db.end();
  }
}

/** Returns false when the imported audit chain does not verify (it is imported as it was). */
export async function importLowdbCommand(store: StoreSection, dataDir: string, print: Print): Promise<boolean> {
  const settings = settingsFrom(store);
  const db = await Db.connect(settings, warnings(print));
  try {
    await migrate(db, warnings(print));
    const r = await importLowdb(dataDir, db);
    print(`imported ${r.from} into ${describeTarget(settings.url)}:`);
    print(`  ${r.partners} partners, ${r.customers} customers, ${r.accounts} accounts`);
    print(`  ${r.resets} resets, ${r.mails} outbox mails, ${r.sessions} live sessions, ${r.admins} admins`);
    print(`  ${r.apiClients} API clients, ${r.syncs} password syncs`);
    print(`  ${r.webhooks} webhook subscriptions, ${r.webhookDeliveries} webhook deliveries`);
    print(`  ${r.brandings} brandings, ${r.brandLogos} logos, ${r.connections} SSO connections made in the console`);
    print(r.auditChain.ok
      ? `  ${r.auditEvents} audit events, chain intact`
      : `  ${r.auditEvents} audit events; the chain was already BROKEN at event ${r.auditChain.seq} (${r.auditChain.reason}) and was copied as it is`);
    return r.auditChain.ok;
  } finally {
    await db.end();
  }
}
