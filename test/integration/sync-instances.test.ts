// The retry outbox with two instances on one PostgreSQL database: both workers poll the same rows,
// and every retry of a directory is made by exactly one of them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncRecord } from '../../src/domain/types.js';
import { LowdbStore } from '../../src/store/lowdb/index.js';
import { Db } from '../../src/store/postgres/db.js';
import { importLowdb } from '../../src/store/postgres/import-lowdb.js';
import { migrate } from '../../src/store/postgres/migrate.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { databaseUrl, freshSchema, silentLogger, testSettings, type TestSchema } from '../contract/store-postgres-fixture.js';
import { HttpClient } from '../support/http-client.js';
import { resetLinkFor, resetThroughConsole, signInAsAdmin, submitPassword } from '../support/journey.js';
import { newSecrets, startProduct, type Product } from '../support/product.js';
import { startScimServer, type ScimServer } from '../support/scim-server.js';
import { until as waitUntil } from '../support/wait.js';

const SCIM_ENV = 'SYNC_INSTANCES_SCIM_TOKEN';

const until = <T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000) => waitUntil(what, probe, timeoutMs);

describe.skipIf(!databaseUrl)('the retry outbox on two instances sharing PostgreSQL', { timeout: 60_000 }, () => {
  let schema: TestSchema;
  let scim: ScimServer;
  let a: Product;
  let b: Product;

  beforeAll(async () => {
    schema = await freshSchema();
    scim = await startScimServer({ minLength: 8 });
    process.env[SCIM_ENV] = scim.token;
    const secrets = newSecrets();
    const config = {
      directories: [{ id: 'hr-scim', plugin: 'scim', config: { baseUrl: scim.url, token: `env:${SCIM_ENV}`, allowInsecureHttp: true, timeoutMs: 2000 } }],
      // Both workers look every 50 ms and retry quickly: plenty of chances to collide.
      sync: { retryBaseMs: 100, retryMaxMs: 200, pollMs: 50, retryLifetimeSeconds: 60 },
    } as never;
    a = await startProduct(config, { databaseUrl: schema.url, secrets });
    b = await startProduct(config, { databaseUrl: schema.url, secrets, dataDir: a.dataDir, smtp: a.smtp });
  }, 60_000);

  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await scim?.stop();
    await schema?.drop();
    delete process.env[SCIM_ENV];
  });

  it('retries a directory that keeps failing from one worker at a time, delivers once, and wipes the password in the database', async () => {
    const customer = (await a.store.listCustomers('contoso', { page: 1, pageSize: 1 })).items[0]!;
    const account = (await a.store.listAccounts('contoso', customer.id))[0]!;
    await a.store.setCustomerDirectory('contoso', customer.id, {
      instance: 'demo-directory', mapping: 'login', secondaries: [{ instance: 'hr-scim', mapping: 'email' }],
    });
    const scimId = await scim.addUser({ userName: account.login, emails: [account.email] });
    const { client: bob } = await signInAsAdmin(a, 'bob@contoso-reseller.example', 'contoso-demo');
    await resetThroughConsole(bob, a, `/admin/customers/${customer.id}/accounts/${account.id}`);
    const link = await resetLinkFor(a, account.email);

    const failures = 8;
    scim.failNext(failures, { status: 503, detail: 'Maintenance' }, 'PATCH');
    const before = scim.requests.length;
    const done = await submitPassword(new HttpClient(), link, 'heron cobalt spindle 12');
    expect(done.text).toContain('It may take a few minutes to work everywhere.');
    await until('delivery', () => scim.checkPassword(scimId, 'heron cobalt spindle 12'));
    const [sync] = await a.store.listSyncs({ partnerId: 'contoso', accountId: account.id, limit: 1 });
    const settled = await until('the sync to finish', async () => {
      const s = await a.store.getSync('contoso', sync!.id);
      return s?.state === 'done' && s;
    });

    // Every write that reached the server is one attempt, numbered once, whichever instance made it.
    const patches = scim.requests.slice(before).filter((r) => r.method === 'PATCH').length;
    expect(patches).toBe(failures + 1);
    expect(settled.targets[1]).toMatchObject({ status: 'applied', attempts: failures + 1 });
    // The attempt's audit event is appended just after the sync record is settled.
    const auditedAttempts = async () => (await a.store.listAudit('contoso'))
      .filter((e) => e.type === 'sync.attempt' && e.detail?.syncId === sync!.id && e.detail.instance === 'hr-scim')
      .map((e) => e.detail!.attempt);
    const attempts = await until('every attempt in the audit trail', async () => {
      const found = await auditedAttempts();
      return found.length >= failures + 1 && found;
    });
    expect(attempts).toEqual(Array.from({ length: failures + 1 }, (_, i) => i + 1));

    const client = new pg.Client({ connectionString: schema.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ sealed: string | null; data: string }>('SELECT sealed, data::text AS data FROM syncs WHERE id = $1', [sync!.id]);
      expect(rows[0]?.sealed).toBeNull();
      expect(rows[0]?.data).not.toContain('heron cobalt spindle 12');
    } finally {
      await client.end();
    }
  });
});

describe.skipIf(!databaseUrl)('moving an embedded installation to PostgreSQL', () => {
  it('carries a password still waiting for a directory over, sealed as it was, for the same data key to open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sync-move-'));
    const schema = await freshSchema();
    try {
      const embedded = await LowdbStore.open(dir);
      await embedded.importTenants({
        partners: [{ id: 'p1', name: 'P1', domains: ['p1.example'] }],
        customers: [{ id: 'c1', partnerId: 'p1', name: 'C1' }],
        accounts: [{ id: 'a1', partnerId: 'p1', customerId: 'c1', name: 'A', login: 'a', email: 'a@c1.example' }],
      });
      const waiting: SyncRecord = {
        id: 'sync-1', partnerId: 'p1', customerId: 'c1', accountId: 'a1', resetId: 'r1', createdAt: '2030-01-01T00:00:00.000Z',
        updatedAt: '2030-01-01T00:00:01.000Z', revokeSessions: false, state: 'in-progress',
        targets: [
          { instance: 'corp', mapping: 'login', role: 'primary', status: 'applied', attempts: 1 },
          { instance: 'hr', mapping: 'email', role: 'secondary', status: 'retrying', attempts: 2, nextAttemptAt: '2030-01-01T00:00:05.000Z' },
        ],
        sealed: 'v1.s0123abcd.iv.tag.body', sealedUntil: '2030-01-01T00:15:01.000Z', dueAt: '2030-01-01T00:00:05.000Z',
      };
      await embedded.createSync(waiting);
      await embedded.close();

      const db = await Db.connect(testSettings(schema.url), silentLogger);
      try {
        await migrate(db, silentLogger);
        expect((await importLowdb(dir, db)).syncs).toBe(1);
      } finally {
        await db.end();
      }
      const store = await PostgresStore.open(testSettings(schema.url), silentLogger);
      try {
        expect(await store.getSync('p1', 'sync-1')).toEqual(waiting);
        expect((await store.claimDueSyncs('2030-01-01T00:00:06.000Z', 5, (s) => ({ ...s, dueAt: '2030-01-01T00:01:00.000Z' }))).map((s) => s.id)).toEqual(['sync-1']);
      } finally {
        await store.close();
      }
    } finally {
      await schema.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
