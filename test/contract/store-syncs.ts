import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Account, PendingAttempt, SyncRecord } from '../../src/domain/types.js';
import type { Ctx } from './store.js';
import { account, at, hash, reset } from './store.js';

const attempt = (minutes: number): PendingAttempt => ({ id: randomUUID(), fingerprint: hash(), startedAt: at(minutes) });

function sync(a: Account, over: Partial<SyncRecord> = {}): SyncRecord {
  return {
    id: randomUUID(), partnerId: a.partnerId, customerId: a.customerId, accountId: a.id, resetId: randomUUID(),
    createdAt: at(0), updatedAt: at(0), revokeSessions: false, state: 'in-progress',
    targets: [
      { instance: 'dir-a', mapping: 'login', role: 'primary', status: 'applied', attempts: 1, doneAt: at(0) },
      { instance: 'hr-scim', mapping: 'email', role: 'secondary', status: 'retrying', attempts: 2, nextAttemptAt: at(5), lastError: 'The SCIM server is unavailable.' },
    ],
    sealed: 'v1.k1.iv.tag.body', sealedUntil: at(15), dueAt: at(5),
    ...over,
  };
}

const bump = (s: SyncRecord): SyncRecord => ({ ...s, targets: s.targets.map((t, i) => (i === 0 ? { ...t, attempts: t.attempts + 1 } : t)) });

export function syncCases(ctx: Ctx): void {
  describe('pending attempts on resets', () => {
    it('records the attempt with the claim, keeps the first one over a later claim, and forgets it only when told', async () => {
      const r = reset(account('acc-n1'));
      await ctx.store.createReset(r);
      const first = attempt(1);
      expect((await ctx.store.claimReset(r.tokenHash, at(1), at(2), first))?.pendingAttempt).toEqual(first);
      // The claim lapsed (a crash): the next submit finds the first attempt still pending.
      expect((await ctx.store.claimReset(r.tokenHash, at(3), at(4), attempt(3)))?.pendingAttempt).toEqual(first);
      await ctx.store.releaseReset(r.id);
      expect((await ctx.store.findResetByHash(r.tokenHash))?.pendingAttempt).toEqual(first);
      await ctx.store.releaseReset(r.id, { clearAttempt: true });
      const cleared = await ctx.store.findResetByHash(r.tokenHash);
      expect(cleared?.pendingAttempt).toBeUndefined();
      expect(cleared?.claimedUntil).toBeUndefined();
      const next = attempt(5);
      expect((await ctx.store.claimReset(r.tokenHash, at(5), at(6), next))?.pendingAttempt).toEqual(next);
    });

    it('claims without recording anything when no attempt is given', async () => {
      const r = reset(account('acc-n1'));
      await ctx.store.createReset(r);
      expect((await ctx.store.claimReset(r.tokenHash, at(1), at(2)))?.pendingAttempt).toBeUndefined();
    });
  });

  describe('sync records', () => {
    it('saves a record with every field, and on a second create keeps the first and returns it', async () => {
      const s = sync(account('acc-n1'));
      expect(await ctx.store.createSync(s)).toEqual(s);
      expect(await ctx.store.createSync({ ...s, state: 'done', targets: [] })).toEqual(s);
      expect(await ctx.store.getSync('north', s.id)).toEqual(s);
    });

    it("never gives or changes partner B's record through partner A", async () => {
      const s = sync(account('acc-s1'));
      await ctx.store.createSync(s);
      expect(await ctx.store.getSync('north', s.id)).toBeUndefined();
      expect(await ctx.store.updateSync('north', s.id, (x) => ({ ...x, state: 'done' }))).toBeUndefined();
      expect(await ctx.store.listSyncs({ partnerId: 'north', limit: 10 })).toEqual([]);
      expect((await ctx.store.getSync('south', s.id))?.state).toBe('in-progress');
    });

    it('changes a record in place, leaves it when the change declines, and wipes the sealed password for good', async () => {
      const s = sync(account('acc-n1'));
      await ctx.store.createSync(s);
      const { sealed: _, ...wiped } = { ...s, state: 'attention' as const, dueAt: at(15) };
      expect(await ctx.store.updateSync('north', s.id, () => wiped)).toEqual(wiped);
      expect(await ctx.store.getSync('north', s.id)).toEqual(wiped);
      expect(await ctx.store.updateSync('north', s.id, () => undefined)).toEqual(wiped);
      expect(await ctx.store.updateSync('north', 'no-such-sync', (x) => x)).toBeUndefined();
    });

    it('loses none of forty changes made at once from two instances', async () => {
      const other = await ctx.other();
      const s = sync(account('acc-n1'));
      await ctx.store.createSync(s);
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? other : ctx.store).updateSync('north', s.id, bump)));
      expect((await ctx.store.getSync('north', s.id))?.targets[0]?.attempts).toBe(41);
    });

    it('hands out records whose time has come, oldest first, up to the limit, saving what the claim made of them', async () => {
      const n1 = account('acc-n1');
      const later = sync(n1, { dueAt: at(9) });
      const first = sync(n1, { dueAt: at(2) });
      const second = sync(account('acc-s1'), { dueAt: at(3) });
      const idle = sync(n1);
      delete idle.dueAt;
      for (const s of [later, first, second, idle]) await ctx.store.createSync(s);
      const claimed = await ctx.store.claimDueSyncs(at(5), 10, (s) => ({ ...s, dueAt: at(20), state: 'attention' }));
      expect(claimed.map((s) => s.id)).toEqual([first.id, second.id]);
      expect(await ctx.store.getSync('south', second.id)).toEqual({ ...second, dueAt: at(20), state: 'attention' });
      expect(await ctx.store.claimDueSyncs(at(5), 10, (s) => s)).toEqual([]);
      expect(await ctx.store.claimDueSyncs(at(100), 1, (s) => ({ ...s, dueAt: at(200) }))).toHaveLength(1);
    });

    it('gives two workers claiming at once disjoint records, and every due record to one of them', async () => {
      const other = await ctx.other();
      const all = Array.from({ length: 24 }, (_, i) => sync(account(i % 2 ? 'acc-n2' : 'acc-s2'), { dueAt: at(i % 5) }));
      for (const s of all) await ctx.store.createSync(s);
      const takenBy = async (worker: typeof other) => {
        const ids: string[] = [];
        const claim = (s: SyncRecord) => {
          const { dueAt: _, ...rest } = s;
          return rest;
        };
        for (let batch = await worker.claimDueSyncs(at(10), 3, claim); batch.length; batch = await worker.claimDueSyncs(at(10), 3, claim)) {
          ids.push(...batch.map((s) => s.id));
        }
        return ids;
      };
      const [a, b] = await Promise.all([takenBy(ctx.store), takenBy(other)]);
      expect(a.filter((id) => b.includes(id))).toEqual([]);
      expect([...a, ...b].sort()).toEqual(all.map((s) => s.id).sort());
    });

    it('deletes old settled records only: never one that still holds a sealed password or is due', async () => {
      const n1 = account('acc-n1');
      const settled = sync(n1, { createdAt: at(1), state: 'done' });
      delete settled.sealed;
      delete settled.dueAt;
      const sealedOld = sync(n1, { createdAt: at(1) });
      const dueOld = sync(n1, { createdAt: at(1) });
      delete dueOld.sealed;
      const recent = sync(n1, { createdAt: at(10), state: 'done' });
      delete recent.sealed;
      delete recent.dueAt;
      const southOld = sync(account('acc-s1'), { createdAt: at(2), state: 'failed' });
      delete southOld.sealed;
      delete southOld.dueAt;
      for (const s of [settled, sealedOld, dueOld, recent, southOld]) await ctx.store.createSync(s);
      expect(await ctx.store.deleteSettledSyncs(at(5))).toBe(2);
      expect((await ctx.store.listSyncs({ limit: 10 })).map((s) => s.id).sort()).toEqual([sealedOld.id, dueOld.id, recent.id].sort());
      expect(await ctx.store.deleteSettledSyncs(at(5))).toBe(0);
    });

    it('lists newest first, by partner, company, account and state, no more than asked', async () => {
      const n1 = account('acc-n1');
      const n3 = account('acc-n3');
      const old = sync(n1, { createdAt: at(1) });
      const mid = sync(n3, { createdAt: at(2), state: 'attention' });
      const recent = sync(n1, { createdAt: at(3), state: 'done' });
      const south = sync(account('acc-s1'), { createdAt: at(4) });
      for (const s of [old, mid, recent, south]) await ctx.store.createSync(s);
      const ids = async (q: Parameters<typeof ctx.store.listSyncs>[0]) => (await ctx.store.listSyncs(q)).map((s) => s.id);
      expect(await ids({ limit: 10 })).toEqual([south.id, recent.id, mid.id, old.id]);
      expect(await ids({ partnerId: 'north', limit: 10 })).toEqual([recent.id, mid.id, old.id]);
      expect(await ids({ partnerId: 'north', customerId: 'cus-n2', limit: 10 })).toEqual([mid.id]);
      expect(await ids({ partnerId: 'north', accountId: 'acc-n1', limit: 1 })).toEqual([recent.id]);
      expect(await ids({ state: 'attention', limit: 10 })).toEqual([mid.id]);
      expect((await ctx.store.listSyncs({ partnerId: 'north', limit: 10 }))[2]).toEqual(old);
    });
  });
}
