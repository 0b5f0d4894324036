import { describe, expect, it } from 'vitest';
import type { Ctx } from './store.js';
import { account, at, hash, reset } from './store.js';

export function resetCases(ctx: Ctx): void {
  describe('resets', () => {
    it('finds a saved reset by its token hash, every field intact, and nothing for another hash', async () => {
      const r = reset(account('acc-n1'), { flow: 'self-service', codeHash: 'c0de', codeAttempts: 0 });
      await ctx.store.createReset(r);
      expect(await ctx.store.findResetByHash(r.tokenHash)).toEqual(r);
      expect(await ctx.store.findResetByHash(hash())).toBeUndefined();
    });

    it('keeps one open reset per account: a new one revokes the older one at its creation time', async () => {
      const older = reset(account('acc-n1'));
      const newer = reset(account('acc-n1'), { createdAt: at(5) });
      const otherAccount = reset(account('acc-n2'));
      await ctx.store.createReset(older);
      await ctx.store.createReset(otherAccount);
      await ctx.store.createReset(newer);
      expect((await ctx.store.findResetByHash(older.tokenHash))?.revokedAt).toBe(at(5));
      expect((await ctx.store.findResetByHash(newer.tokenHash))?.revokedAt).toBeUndefined();
      expect((await ctx.store.findResetByHash(otherAccount.tokenHash))?.revokedAt).toBeUndefined();
      expect(await ctx.store.claimReset(older.tokenHash, at(6), at(7))).toBeUndefined();
    });

    it('leaves exactly one open reset when ten are created for one account at once', async () => {
      const other = await ctx.other();
      const many = Array.from({ length: 10 }, (_, i) => reset(account('acc-n1'), { createdAt: at(i) }));
      await Promise.all(many.map((r, i) => (i % 2 ? other : ctx.store).createReset(r)));
      const open = (await Promise.all(many.map((r) => ctx.store.findResetByHash(r.tokenHash)))).filter((r) => r && !r.revokedAt);
      expect(open).toHaveLength(1);
    });

    it("cannot revoke partner B's reset with a reset made out under partner A", async () => {
      const victim = reset(account('acc-s1'));
      await ctx.store.createReset(victim);
      await ctx.store.createReset(reset(account('acc-s1'), { partnerId: 'north', createdAt: at(1) }));
      expect((await ctx.store.findResetByHash(victim.tokenHash))?.revokedAt).toBeUndefined();
    });

    it("leaves partner B's open reset alone when a reset made out under partner A for the same account id is consumed", async () => {
      const victim = reset(account('acc-s1'));
      const crafted = reset(account('acc-s1'), { partnerId: 'north' });
      await ctx.store.createReset(victim);
      await ctx.store.createReset(crafted);
      await ctx.store.claimReset(crafted.tokenHash, at(1), at(2));
      expect(await ctx.store.consumeReset(crafted.id, at(1))).toBe(true);
      expect((await ctx.store.findResetByHash(victim.tokenHash))?.revokedAt).toBeUndefined();
    });

    it('claims an open reset once until the claim runs out, then again', async () => {
      const r = reset(account('acc-n1'));
      await ctx.store.createReset(r);
      expect(await ctx.store.claimReset(r.tokenHash, at(1), at(2))).toMatchObject({ id: r.id, claimedUntil: at(2) });
      expect(await ctx.store.claimReset(r.tokenHash, at(1), at(2))).toBeUndefined();
      expect(await ctx.store.claimReset(r.tokenHash, at(2), at(3))).toMatchObject({ id: r.id, claimedUntil: at(3) });
    });

    it('claims again at once after a release', async () => {
      const r = reset(account('acc-n1'));
      await ctx.store.createReset(r);
      await ctx.store.claimReset(r.tokenHash, at(1), at(2));
      await ctx.store.releaseReset(r.id);
      expect((await ctx.store.findResetByHash(r.tokenHash))?.claimedUntil).toBeUndefined();
      expect(await ctx.store.claimReset(r.tokenHash, at(1), at(2))).toBeDefined();
    });

    it('never claims an expired, revoked or consumed reset, or an unknown hash', async () => {
      const expired = reset(account('acc-n1'), { expiresAt: at(10) });
      await ctx.store.createReset(expired);
      expect(await ctx.store.claimReset(expired.tokenHash, at(10), at(11))).toBeUndefined();
      const revoked = reset(account('acc-n2'));
      await ctx.store.createReset(revoked);
      await ctx.store.createReset(reset(account('acc-n2'), { createdAt: at(1) }));
      expect(await ctx.store.claimReset(revoked.tokenHash, at(2), at(3))).toBeUndefined();
      const consumed = reset(account('acc-n3'));
      await ctx.store.createReset(consumed);
      await ctx.store.claimReset(consumed.tokenHash, at(1), at(2));
      expect(await ctx.store.consumeReset(consumed.id, at(1))).toBe(true);
      expect(await ctx.store.claimReset(consumed.tokenHash, at(3), at(4))).toBeUndefined();
      expect(await ctx.store.claimReset(hash(), at(1), at(2))).toBeUndefined();
    });

    it('lets exactly one of two simultaneous claims win, twenty races in a row', async () => {
      const other = await ctx.other();
      const links = ['acc-n1', 'acc-n2', 'acc-n3', 'acc-s1', 'acc-s2'].map((id) => reset(account(id)));
      for (let round = 0; round < 4; round++) {
        await Promise.all(links.map((r) => ctx.store.releaseReset(r.id)));
        if (round === 0) for (const r of links) await ctx.store.createReset(r);
        const results = await Promise.all(links.flatMap((r) => [ctx.store, other].map((s) => s.claimReset(r.tokenHash, at(1), at(2)))));
        for (let i = 0; i < links.length; i++) {
          expect(results.slice(i * 2, i * 2 + 2).filter(Boolean), `link ${i}, round ${round}`).toHaveLength(1);
        }
      }
    });

    it('consumes a reset once: the second consume, even a simultaneous one, says no', async () => {
      const other = await ctx.other();
      const r = reset(account('acc-n1'));
      await ctx.store.createReset(r);
      await ctx.store.claimReset(r.tokenHash, at(1), at(2));
      const results = await Promise.all([ctx.store.consumeReset(r.id, at(1)), other.consumeReset(r.id, at(1))]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const stored = await ctx.store.findResetByHash(r.tokenHash);
      expect(stored?.consumedAt).toBe(at(1));
      expect(stored?.claimedUntil).toBeUndefined();
      expect(await ctx.store.consumeReset(r.id, at(3))).toBe(false);
    });

    it('finds the open resets of an email across partners, ignoring case, and not the closed ones', async () => {
      const north = reset(account('acc-n1'));
      const south = reset(account('acc-s2'));
      const closed = reset(account('acc-n2'), { revokedAt: at(1) });
      for (const r of [north, south, closed]) await ctx.store.createReset(r);
      const found = await ctx.store.findOpenResetsByEmail(' ZOE@emile.example ');
      expect(found.map((r) => r.id).sort()).toEqual([north.id, south.id].sort());
      expect(await ctx.store.findOpenResetsByEmail('adam@emile.example')).toEqual([]);
    });

    it('counts wrong codes one by one', async () => {
      const r = reset(account('acc-n1'), { codeHash: 'c0de' });
      await ctx.store.createReset(r);
      expect(await ctx.store.recordCodeFailure(r.id)).toBe(1);
      expect(await ctx.store.recordCodeFailure(r.id)).toBe(2);
      expect((await ctx.store.findResetByHash(r.tokenHash))?.codeAttempts).toBe(2);
      expect(await ctx.store.recordCodeFailure('no-such-reset')).toBeGreaterThan(1000);
    });

    it('forgets the resets whose link expired before the cut, with both token hashes, and keeps the rest and every audit event', async () => {
      const used = reset(account('acc-n1'), { expiresAt: at(10), altTokenHash: hash() });
      const lapsed = reset(account('acc-n2'), { expiresAt: at(20) });
      const atCut = reset(account('acc-n3'), { expiresAt: at(30) });
      const open = reset(account('acc-n1'), { createdAt: at(5), expiresAt: at(90) });
      await ctx.store.createReset(used);
      await ctx.store.claimReset(used.tokenHash, at(1), at(2));
      await ctx.store.consumeReset(used.id, at(1));
      for (const r of [lapsed, atCut, open]) await ctx.store.createReset(r);
      await ctx.store.appendAudit({ type: 'reset.redeemed', outcome: 'success', actor: 'x', partnerId: 'north', detail: { resetId: used.id } }, at(1));

      expect(await ctx.store.deleteExpiredResets(at(30))).toBe(2);
      for (const h of [used.tokenHash, used.altTokenHash!, lapsed.tokenHash]) expect(await ctx.store.findResetByHash(h)).toBeUndefined();
      expect(await ctx.store.getReset(used.id)).toBeUndefined();
      expect((await ctx.store.listResets('north', 'acc-n1')).map((r) => r.id)).toEqual([open.id]);
      expect(await ctx.store.listResets('north', 'acc-n2')).toEqual([]);
      expect((await ctx.store.findResetByHash(atCut.tokenHash))?.id).toBe(atCut.id);
      expect((await ctx.store.claimReset(open.tokenHash, at(40), at(41)))?.id).toBe(open.id);
      expect((await ctx.store.listResetEvents('north', used.id)).map((e) => e.type)).toEqual(['reset.redeemed']);
      expect(await ctx.store.deleteExpiredResets(at(30))).toBe(0);
    });

    it('finds and claims a reset by its second token hash as by the first', async () => {
      const r = reset(account('acc-n1'));
      const alt = hash();
      await ctx.store.createReset(r);
      await ctx.store.setAltTokenHash(r.id, alt);
      expect(await ctx.store.findResetByHash(alt)).toMatchObject({ id: r.id, altTokenHash: alt });
      expect(await ctx.store.claimReset(alt, at(1), at(2))).toMatchObject({ id: r.id });
      expect(await ctx.store.claimReset(r.tokenHash, at(1), at(2))).toBeUndefined();
    });
  });
}
