import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ResetRecord } from '../../src/domain/types.js';
import { LowdbStore } from '../../src/store/lowdb/index.js';

/** A data folder as the previous version wrote it: one whole lowdb JSON document per collection. */
function legacyFolder(): string {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rb-legacy-'));
  const dir = path.join(dataDir, 'store');
  mkdirSync(dir, { recursive: true });
  const write = (name: string, doc: unknown) => writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(doc, null, 2));
  write('tenants', {
    partners: [{ id: 'p1', name: 'Partner One', domains: ['one.example'] }],
    customers: [{ id: 'c1', partnerId: 'p1', name: 'Company', directory: { instance: 'dir', mapping: 'login' } }],
    accounts: [
      { id: 'a1', partnerId: 'p1', customerId: 'c1', name: 'Ann', login: 'ann', email: 'ann@company.example', lastResetAt: '2026-01-01T00:00:00.000Z' },
      { id: 'a2', partnerId: 'p1', customerId: 'c1', name: 'Ben', login: 'ben', email: 'ben@company.example' },
    ],
  });
  const reset: ResetRecord = {
    id: 'r1', partnerId: 'p1', customerId: 'c1', accountId: 'a1', tokenHash: 'hash-1', altTokenHash: 'alt-1', flow: 'admin',
    createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2099-01-02T00:00:00.000Z', createdBy: 'admin:x',
  };
  write('resets', { resets: [reset] });
  write('outbox', { mails: [{ id: 'm1', kind: 'reset-link', sealed: 'sealed', status: 'queued', attempts: 0, nextAttemptAt: '2026-01-01T00:00:00.000Z', createdAt: '2026-01-01T00:00:00.000Z' }] });
  write('sessions', { sessions: { sid1: { data: '{"user":1}', expiresAt: '2099-01-01T00:00:00.000Z' } } });
  write('sso', { requests: { req1: { connectionId: 'conn', expiresAt: '2099-01-01T00:00:00.000Z' } }, seen: {}, admins: [{ connectionId: 'conn', sub: 's', partnerId: 'p1', email: 'x@one.example', name: 'X', roles: [], lastSignInAt: '2026-01-01T00:00:00.000Z' }] });
  write('api-clients', { clients: [{ id: 'k1', name: 'Platform', scopes: [], secretHash: 'h', createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'x' }] });
  write('syncs', { syncs: [] });
  return dataDir;
}

describe('a data folder written by the previous version of the embedded store', () => {
  it('opens with every record, takes new changes, and still has all of them after a restart', async () => {
    const dataDir = legacyFolder();
    const store = await LowdbStore.open(dataDir);
    expect(await store.getAccount('p1', 'a1')).toMatchObject({ login: 'ann', lastResetAt: '2026-01-01T00:00:00.000Z' });
    expect(await store.findResetByHash('hash-1')).toMatchObject({ id: 'r1' });
    expect(await store.findResetByHash('alt-1')).toMatchObject({ id: 'r1' });
    expect(await store.mailOutboxStats()).toMatchObject({ waiting: 1 });
    expect(await store.getSession('sid1')).toEqual({ data: '{"user":1}', expiresAt: '2099-01-01T00:00:00.000Z' });
    expect(await store.listAdmins('p1')).toHaveLength(1);
    expect(await store.getApiClient('k1')).toMatchObject({ name: 'Platform' });

    await store.setAccountLastReset('p1', 'a2', '2026-02-02T00:00:00.000Z');
    await store.createReset({ id: 'r2', partnerId: 'p1', customerId: 'c1', accountId: 'a1', tokenHash: 'hash-2', flow: 'admin', createdAt: '2026-02-02T00:00:00.000Z', expiresAt: '2099-01-02T00:00:00.000Z', createdBy: 'admin:x' });
    await store.close();

    const again = await LowdbStore.open(dataDir);
    expect(await again.getAccount('p1', 'a1')).toMatchObject({ lastResetAt: '2026-01-01T00:00:00.000Z' });
    expect(await again.getAccount('p1', 'a2')).toMatchObject({ lastResetAt: '2026-02-02T00:00:00.000Z' });
    // The new reset revoked the legacy one, and both are there.
    expect(await again.getReset('r1')).toMatchObject({ revokedAt: '2026-02-02T00:00:00.000Z' });
    expect(await again.findResetByHash('hash-2')).toMatchObject({ id: 'r2' });
    expect(await again.takeSsoRequest('req1', '2026-01-01T00:00:00.000Z')).toEqual({ connectionId: 'conn' });
    expect(await again.getCustomer('p1', 'c1')).toMatchObject({ directory: { instance: 'dir', mapping: 'login' } });
    await again.compact();
    await again.close();

    const compacted = await LowdbStore.open(dataDir);
    expect((await compacted.listAccounts('p1', 'c1')).map((a) => a.id)).toEqual(['a1', 'a2']);
    expect((await compacted.listResets('p1', 'a1')).map((r) => r.id)).toEqual(['r2', 'r1']);
    expect(await compacted.getSession('sid1')).toBeDefined();
    await compacted.close();
  });
});
