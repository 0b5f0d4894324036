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
    const retention = (noticeLapsed?: () => Promise<unknown>) => new ResetRetention({
      store, clock, logger, keepMs: 30 * DAY, everyMs: 3_600_000, ...(noticeLapsed ? { noticeLapsed } : {}),
    });
    return { dir, store, sweep, retention, setDay: (n: number) => { now = start + n * DAY; } };
  }

  it('forgets a link 30 days after it expired, keeps its audit events, and it stays forgotten after a restart', async () => {
    const { dir, store, sweep, retention, setDay } = await setUp();
    const used = reset(account('acc-n1'), { createdAt: day(0), expiresAt: day(1) });
    const recent = reset(account('acc-n2'), { createdAt: day(20), expiresAt: day(21) });
    await store.createReset(used);
    await store.consumeReset(used.id, day(0));
    await store.createReset(recent);
    await store.appendAudit({ type: 'reset.redeemed', outcome: 'success', actor: 'x', partnerId: 'north', detail: { resetId: used.id } }, day(0));

    setDay(30);
    expect(await retention(() => sweep.sweep()).run()).toBe(0);
    setDay(32);
    expect(await retention(() => sweep.sweep()).run()).toBe(1);
    await store.close();

    const reopened = await LowdbStore.open(dir);
    expect(await reopened.findResetByHash(used.tokenHash)).toBeUndefined();
    expect(await reopened.getReset(used.id)).toBeUndefined();
    expect((await reopened.getReset(recent.id))?.id).toBe(recent.id);
    expect((await reopened.listResetEvents('north', used.id)).map((e) => e.type)).toEqual(['reset.redeemed']);
    await reopened.close();
  });

  it('keeps a link that lapsed unused until the expired-link sweep has noticed it, then forgets it', async () => {
    const { store, sweep, retention, setDay } = await setUp();
    const first = reset(account('acc-n1'), { createdAt: day(0), expiresAt: day(1) });
    await store.createReset(first);
    setDay(2);
    expect(await sweep.sweep()).toBe(1);
    const second = reset(account('acc-n2'), { createdAt: day(2), expiresAt: day(3) });
    await store.createReset(second);

    // A long outage: nothing swept since day 2. Without the sweep run first, neither is forgotten:
    // the sweep's cursor stands at the first, and the second has not been noticed at all.
    setDay(60);
    expect(await retention().run()).toBe(0);
    expect(await store.getReset(second.id)).toBeDefined();

    expect(await retention(() => sweep.sweep()).run()).toBe(1);
    expect(await store.getReset(first.id)).toBeUndefined();
    // The newest noticed link waits for the cursor to move past it (the next link that lapses).
    expect(await store.getReset(second.id)).toBeDefined();
    const lapsed = (await store.listAudit('north')).filter((e) => e.type === 'reset.lapsed').map((e) => e.detail?.resetId);
    expect(lapsed).toEqual([first.id, second.id]);
    await store.close();
  });
});
