import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/domain/audit.js';
import type { AuditInput, OutboxMail } from '../../src/domain/types.js';
import type { Ctx } from './store.js';
import { at } from './store.js';

const event = (partnerId: string | undefined, n: number): AuditInput => ({
  type: 'reset.issued', outcome: 'success', actor: `admin:${n}@example`, ...(partnerId ? { partnerId } : {}),
  target: `account:${n}`, ip: '192.0.2.1', userAgent: 'test', detail: { n, flow: 'admin', ok: true },
});

const mail = (over: Partial<OutboxMail> = {}): OutboxMail => ({
  id: randomUUID(), partnerId: 'north', kind: 'reset-link', sealed: `v1.k1.${randomUUID()}`, status: 'queued',
  attempts: 0, nextAttemptAt: at(0), createdAt: at(0), ...over,
});

export function auditAndOutboxCases(ctx: Ctx): void {
  describe('audit', () => {
    it('appends numbered events, each holding the hash of the one before, and the chain verifies', async () => {
      const first = await ctx.store.appendAudit(event('north', 1), at(1));
      const second = await ctx.store.appendAudit(event(undefined, 2), at(2));
      expect(first).toMatchObject({ seq: 1, prev: '', at: at(1), partnerId: 'north', detail: { n: 1, flow: 'admin', ok: true } });
      expect(second).toMatchObject({ seq: 2, prev: first.hash });
      const all = await ctx.store.listAudit();
      expect(all).toEqual([first, second]);
      expect(verifyChain(all)).toEqual({ ok: true });
    });

    it("lists only the partner's events when asked for one partner", async () => {
      await ctx.store.appendAudit(event('north', 1), at(1));
      await ctx.store.appendAudit(event('south', 2), at(2));
      await ctx.store.appendAudit(event(undefined, 3), at(3));
      expect((await ctx.store.listAudit('north')).map((e) => e.seq)).toEqual([1]);
      expect((await ctx.store.listAudit('south')).map((e) => e.seq)).toEqual([2]);
      expect(await ctx.store.listAudit('nobody')).toEqual([]);
    });

    it('answers a query with the events matching every field given, oldest first, a page at a time', async () => {
      const add = (partnerId: string | undefined, target: string, type: string, n: number) =>
        ctx.store.appendAudit({ ...event(partnerId, n), target, type }, at(n));
      await add('north', 'account:a', 'reset.issued', 1);
      await add('north', 'account:b', 'reset.issued', 2);
      await add('south', 'account:a', 'reset.issued', 3);
      await add('north', 'account:a', 'mail.sent', 4);
      await add(undefined, 'directory:d', 'sync.failed', 5);
      await add('north', 'account:a', 'reset.redeemed', 6);
      const seqs = async (q: Parameters<typeof ctx.store.queryAudit>[0]) => (await ctx.store.queryAudit(q)).map((e) => e.seq);

      expect(await seqs({ partnerId: 'north', target: 'account:a' })).toEqual([1, 4, 6]);
      expect(await seqs({ target: 'account:a' })).toEqual([1, 3, 4, 6]);
      expect(await seqs({ type: 'sync.failed' })).toEqual([5]);
      expect(await seqs({ partnerId: 'north', type: 'reset.issued' })).toEqual([1, 2]);
      expect(await seqs({ partnerId: 'south' })).toEqual([3]);
      expect(await seqs({ partnerId: 'north', afterSeq: 1, limit: 2 })).toEqual([2, 4]);
      expect(await seqs({ partnerId: 'north', afterSeq: 4, limit: 2 })).toEqual([6]);
      expect(await seqs({ afterSeq: 6 })).toEqual([]);
      expect(await seqs({ partnerId: 'nobody' })).toEqual([]);
      expect(await seqs({ target: 'account:a', type: 'reset.issued' })).toEqual([1, 3]);
      expect(await seqs({ partnerId: 'north', target: 'account:a', type: 'mail.sent' })).toEqual([4]);
      // Every partner's events and those of none, a page at a time (an unrestricted API client).
      expect(await seqs({ afterSeq: 3, limit: 2 })).toEqual([4, 5]);
      expect(await seqs({ afterSeq: 5, limit: 2 })).toEqual([6]);
      expect((await ctx.store.queryAudit({ partnerId: 'north', target: 'account:a', limit: 1 }))[0]).toEqual((await ctx.store.listAudit())[0]);
    });

    it('keeps one gapless, verifiable chain when forty events are appended at once from two instances', async () => {
      const other = await ctx.other();
      const written = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? other : ctx.store).appendAudit(event('north', i), at(i))));
      const all = await ctx.store.listAudit();
      expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(verifyChain(all)).toEqual({ ok: true });
      expect([...written].sort((a, b) => a.seq - b.seq)).toEqual(all);
    });
  });

  describe('mail outbox', () => {
    it('hands out due mails once, marked sending with one more attempt, and not those due later', async () => {
      const due = mail();
      const later = mail({ nextAttemptAt: at(5) });
      await ctx.store.enqueueMail(due);
      await ctx.store.enqueueMail(later);
      expect(await ctx.store.claimMail(at(1), 10)).toEqual([{ ...due, status: 'sending', attempts: 1 }]);
      expect(await ctx.store.claimMail(at(1), 10)).toEqual([]);
      expect((await ctx.store.claimMail(at(5), 10)).map((m) => m.id)).toEqual([later.id]);
    });

    it('counts waiting and given-up mails and names the oldest waiting one, for the metrics', async () => {
      expect(await ctx.store.mailOutboxStats()).toEqual({ waiting: 0, failed: 0 });
      const first = mail({ createdAt: at(1) });
      const second = mail({ createdAt: at(2) });
      const doomed = mail({ createdAt: at(0) });
      for (const m of [first, second, doomed]) await ctx.store.enqueueMail(m);
      await ctx.store.claimMail(at(3), 10);
      await ctx.store.finishMail(doomed.id, { ok: false, error: 'mailbox unavailable' });
      await ctx.store.finishMail(first.id, { ok: false, error: 'try later', retryAt: at(9) });
      const stats = await ctx.store.mailOutboxStats();
      expect(stats.waiting).toBe(2);
      expect(stats.failed).toBe(1);
      expect(Date.parse(stats.oldestWaitingAt!)).toBe(Date.parse(at(1)));
    });

    it('hands out no more than the limit per claim', async () => {
      for (let i = 0; i < 5; i++) await ctx.store.enqueueMail(mail({ nextAttemptAt: at(i) }));
      expect(await ctx.store.claimMail(at(10), 3)).toHaveLength(3);
      expect(await ctx.store.claimMail(at(10), 3)).toHaveLength(2);
      expect(await ctx.store.claimMail(at(10), 3)).toHaveLength(0);
    });

    it('never hands out a sent mail again, and forgets its sealed content', async () => {
      const m = mail();
      await ctx.store.enqueueMail(m);
      await ctx.store.claimMail(at(1), 10);
      await ctx.store.finishMail(m.id, { ok: true, at: at(2) });
      expect(await ctx.store.claimMail(at(100), 10)).toEqual([]);
    });

    it('hands a failed mail out again at its retry time, and never once it is given up', async () => {
      const retried = mail();
      const givenUp = mail();
      await ctx.store.enqueueMail(retried);
      await ctx.store.enqueueMail(givenUp);
      await ctx.store.claimMail(at(1), 10);
      await ctx.store.finishMail(retried.id, { ok: false, error: 'connection refused', retryAt: at(5) });
      await ctx.store.finishMail(givenUp.id, { ok: false, error: 'mailbox unavailable' });
      expect(await ctx.store.claimMail(at(4), 10)).toEqual([]);
      expect(await ctx.store.claimMail(at(5), 10)).toEqual([
        { ...retried, status: 'sending', attempts: 2, nextAttemptAt: at(5), lastError: 'connection refused' },
      ]);
    });

    it('gives two workers claiming at once disjoint mails, and every mail to one of them', async () => {
      const other = await ctx.other();
      const mails = Array.from({ length: 30 }, () => mail());
      for (const m of mails) await ctx.store.enqueueMail(m);
      const takenBy = async (worker: typeof other) => {
        const ids: string[] = [];
        for (let batch = await worker.claimMail(at(1), 4); batch.length; batch = await worker.claimMail(at(1), 4)) ids.push(...batch.map((m) => m.id));
        return ids;
      };
      const [a, b] = await Promise.all([takenBy(ctx.store), takenBy(other)]);
      expect(a.filter((id) => b.includes(id))).toEqual([]);
      expect([...a, ...b].sort()).toEqual(mails.map((m) => m.id).sort());
    });
  });
}
