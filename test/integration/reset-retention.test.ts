// Old reset links are forgotten by the embedded store (files on disk, reopened as after a
// restart), never before the expired-link sweep has noticed a link that lapsed unused.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/services/audit.js';
import { ResetRetention } from '../../src/services/reset-retention.js';
import { LowdbStore } from '../../src/store/lowdb/index.js';
import { ExpirySweep } from '../../src/webhooks/expiry-sweep.js';
import { account, accounts, customers, partners, reset } from '../contract/store.js';

const DAY = 86_400_000;
const start = Date.UTC(2030, 0, 1);
const day = (n: number) => new Date(start + n * DAY).toISOString();

describe('forgetting old reset links', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function setUp() {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rb-retention-'));
    dirs.push(dir);
    const store = await LowdbStore.open(dir);
    await store.importTenants(structuredClone({ partners, customers, accounts }));
    let now = start;
    const clock = { now: () => new Date(now) };
    const audit = new AuditLog(store, clock);
    const logger = pino({ level: 'silent' });
    const sweep = new ExpirySweep({ store, clock, audit, logger, everyMs: 60_000, graceMs: 60_000 });
    const retention = (noticeLapsed: () => Promise<string | undefined> = () => sweep.noticedUntil()) => new ResetRetention({
      store, clock, logger, keepMs: 30 * DAY, everyMs: 3_600_000, noticeLapsed,
    });
    return { dir, store, retention, setDay: (n: number) => { now = start + n * DAY; } };
  }

  it('forgets a link 30 days after it expired, keeps its audit events, and it stays forgotten after a restart', async () => {
    const { dir, store, retention, setDay } = await setUp();
    const used = reset(account('acc-n1'), { createdAt: day(0), expiresAt: day(1) });
    const recent = reset(account('acc-n2'), { createdAt: day(20), expiresAt: day(21) });
    await store.createReset(used);
    await store.consumeReset(used.id, day(0));
    await store.createReset(recent);
    await store.appendAudit({ type: 'reset.redeemed', outcome: 'success', actor: 'x', partnerId: 'north', detail: { resetId: used.id } }, day(0));

    setDay(30);
    expect(await retention().run()).toBe(0);
    setDay(32);
    expect(await retention().run()).toBe(1);
    await store.close();

    const reopened = await LowdbStore.open(dir);
    expect(await reopened.findResetByHash(used.tokenHash)).toBeUndefined();
    expect(await reopened.getReset(used.id)).toBeUndefined();
    expect((await reopened.getReset(recent.id))?.id).toBe(recent.id);
    expect((await reopened.listResetEvents('north', used.id)).map((e) => e.type)).toEqual(['reset.redeemed']);
    await reopened.close();
  });

  it('forgets nothing while another instance is still sweeping, and forgets lapsed links once they are noticed', async () => {
    const { store, retention, setDay } = await setUp();
    const lapsed = reset(account('acc-n1'), { createdAt: day(0), expiresAt: day(1) });
    await store.createReset(lapsed);
    setDay(60);
    // Another instance moved the sweep's cursor first: this one cannot tell what is noticed yet.
    expect(await retention(async () => undefined).run()).toBe(0);
    expect(await store.getReset(lapsed.id)).toBeDefined();

    expect(await retention().run()).toBe(1);
    expect(await store.getReset(lapsed.id)).toBeUndefined();
    const noticed = (await store.listAudit('north')).filter((e) => e.type === 'reset.lapsed').map((e) => e.detail?.resetId);
    expect(noticed).toEqual([lapsed.id]);
    await store.close();
  });

  it('keeps forgetting used links long after the last link that lapsed', async () => {
    const { store, retention, setDay } = await setUp();
    await store.createReset(reset(account('acc-n1'), { createdAt: day(0), expiresAt: day(1) }));
    setDay(2);
    expect(await retention().run()).toBe(0);
    const used = reset(account('acc-n2'), { createdAt: day(40), expiresAt: day(41) });
    await store.createReset(used);
    await store.consumeReset(used.id, day(40));
    setDay(80);
    expect(await retention().run()).toBe(2);
    expect(await store.getReset(used.id)).toBeUndefined();
    await store.close();
  });
});
