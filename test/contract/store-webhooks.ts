import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { WebhookDelivery, WebhookSubscription } from '../../src/domain/types.js';
import type { Ctx } from './store.js';
import { account, at, reset } from './store.js';

let n = 0;
function subscription(over: Partial<WebhookSubscription> = {}): WebhookSubscription {
  return {
    id: `whk_${(++n).toString(16).padStart(20, '0')}`, name: `Receiver ${n}`, url: 'https://receiver.example/hooks',
    events: ['reset.issued', 'sync.failed'], sealedSecret: 'v1.w1.iv.tag.body', createdAt: at(n), createdBy: 'admin:dana@north.example', ...over,
  };
}

function delivery(subscriptionId: string, over: Partial<WebhookDelivery> = {}): WebhookDelivery {
  return {
    id: `whd_${randomUUID()}`, subscriptionId, eventId: `evt_${randomUUID()}`, eventType: 'reset.issued', partnerId: 'north',
    body: '{"id":"evt","type":"reset.issued","data":{}}', status: 'pending', attempts: 0,
    createdAt: at(0), nextAttemptAt: at(0), giveUpAt: at(24 * 60), log: [], ...over,
  };
}

export function webhookCases(ctx: Ctx): void {
  describe('webhook subscriptions', () => {
    it('saves, replaces, lists and deletes a subscription with its deliveries', async () => {
      const s = subscription({ partnerId: 'south' });
      await ctx.store.saveWebhook(s);
      expect(await ctx.store.getWebhook(s.id)).toEqual(s);
      const changed = { ...s, disabled: true, events: ['reset.expired' as const] };
      await ctx.store.saveWebhook(changed);
      expect(await ctx.store.getWebhook(s.id)).toEqual(changed);
      expect((await ctx.store.listWebhooks()).map((x) => x.id)).toEqual([s.id]);
      await ctx.store.enqueueWebhookDeliveries([delivery(s.id)]);
      expect(await ctx.store.deleteWebhook(s.id)).toBe(true);
      expect(await ctx.store.deleteWebhook(s.id)).toBe(false);
      expect(await ctx.store.getWebhook(s.id)).toBeUndefined();
      expect(await ctx.store.listWebhookDeliveries(s.id, 10)).toEqual([]);
    });
  });

  describe('webhook delivery outbox', () => {
    it('claims due deliveries once, counts the attempt, and leaves ones not yet due', async () => {
      const s = subscription();
      await ctx.store.saveWebhook(s);
      const due = delivery(s.id);
      const later = delivery(s.id, { nextAttemptAt: at(10) });
      await ctx.store.enqueueWebhookDeliveries([due, later]);
      const claimed = await ctx.store.claimWebhookDeliveries(at(1), at(2), 10);
      expect(claimed.map((d) => d.id)).toEqual([due.id]);
      expect(claimed[0]).toMatchObject({ status: 'delivering', attempts: 1, leaseUntil: at(2) });
      expect(await ctx.store.claimWebhookDeliveries(at(1), at(2), 10)).toEqual([]);
    });

    it('never hands one delivery to two instances claiming at once', async () => {
      const s = subscription();
      await ctx.store.saveWebhook(s);
      const many = Array.from({ length: 20 }, () => delivery(s.id));
      await ctx.store.enqueueWebhookDeliveries(many);
      const other = await ctx.other();
      const [a, b] = await Promise.all([ctx.store.claimWebhookDeliveries(at(1), at(5), 15), other.claimWebhookDeliveries(at(1), at(5), 15)]);
      const ids = [...a, ...b].map((d) => d.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(20);
    });

    it('takes a delivery back once its lease lapsed (a worker stopped mid-post)', async () => {
      const s = subscription();
      await ctx.store.saveWebhook(s);
      const d = delivery(s.id);
      await ctx.store.enqueueWebhookDeliveries([d]);
      await ctx.store.claimWebhookDeliveries(at(1), at(2), 10);
      expect(await ctx.store.claimWebhookDeliveries(at(1), at(2), 10)).toEqual([]);
      const again = await ctx.store.claimWebhookDeliveries(at(3), at(4), 10);
      expect(again.map((x) => ({ id: x.id, attempts: x.attempts }))).toEqual([{ id: d.id, attempts: 2 }]);
    });

    it('logs each attempt and moves the delivery on: retry, then delivered; newest delivery listed first', async () => {
      const s = subscription();
      await ctx.store.saveWebhook(s);
      const first = delivery(s.id, { createdAt: at(0) });
      const second = delivery(s.id, { createdAt: at(1), nextAttemptAt: at(1) });
      await ctx.store.enqueueWebhookDeliveries([first, second]);
      await ctx.store.claimWebhookDeliveries(at(0), at(1), 1);
      await ctx.store.finishWebhookDelivery(first.id, { at: at(0), statusCode: 500, durationMs: 12, error: 'HTTP 500' }, { status: 'pending', nextAttemptAt: at(5) });
      expect(await ctx.store.claimWebhookDeliveries(at(4), at(6), 1)).toMatchObject([{ id: second.id }]);
      expect((await ctx.store.claimWebhookDeliveries(at(5), at(6), 1)).map((d) => d.id)).toEqual([first.id]);
      await ctx.store.finishWebhookDelivery(first.id, { at: at(5), statusCode: 204, durationMs: 8 }, { status: 'delivered' });
      const stored = await ctx.store.getWebhookDelivery(s.id, first.id);
      expect(stored).toMatchObject({ status: 'delivered', attempts: 2, doneAt: at(5) });
      expect(stored?.leaseUntil).toBeUndefined();
      expect(stored?.log).toEqual([
        { at: at(0), statusCode: 500, durationMs: 12, error: 'HTTP 500' },
        { at: at(5), statusCode: 204, durationMs: 8 },
      ]);
      expect((await ctx.store.listWebhookDeliveries(s.id, 10)).map((d) => d.id)).toEqual([second.id, first.id]);
      expect(await ctx.store.getWebhookDelivery('whk_other', first.id)).toBeUndefined();
    });

    it('deletes settled deliveries older than the cut-off, never waiting ones', async () => {
      const s = subscription();
      await ctx.store.saveWebhook(s);
      const old = delivery(s.id, { createdAt: at(0) });
      const waiting = delivery(s.id, { createdAt: at(0), nextAttemptAt: at(100) });
      await ctx.store.enqueueWebhookDeliveries([old, waiting]);
      await ctx.store.claimWebhookDeliveries(at(0), at(1), 1);
      await ctx.store.finishWebhookDelivery(old.id, { at: at(0), durationMs: 1, error: 'Connection refused.' }, { status: 'failed' });
      expect(await ctx.store.deleteSettledWebhookDeliveries(at(10))).toBe(1);
      expect((await ctx.store.listWebhookDeliveries(s.id, 10)).map((d) => d.id)).toEqual([waiting.id]);
    });
  });

  describe('expired-link sweep', () => {
    it('lists links that expired unused in expiry order after the cursor, skipping used and early-revoked ones', async () => {
      const used = reset(account('acc-n1'), { expiresAt: at(10) });
      const lapsed = reset(account('acc-n2'), { expiresAt: at(20) });
      const superseded = reset(account('acc-n3'), { expiresAt: at(30) });
      const southLapsed = reset(account('acc-s1'), { expiresAt: at(15) });
      const notYet = reset(account('acc-s2'), { expiresAt: at(90) });
      for (const r of [used, lapsed, superseded, southLapsed, notYet]) await ctx.store.createReset(r);
      await ctx.store.claimReset(used.tokenHash, at(1), at(2));
      await ctx.store.consumeReset(used.id, at(1));
      // A newer link for the same account, before the first expired: the first was revoked, not left to expire.
      await ctx.store.createReset(reset(account('acc-n3'), { createdAt: at(5), expiresAt: at(200) }));
      const found = await ctx.store.listLapsedResets(undefined, at(60), 10);
      expect(found.map((r) => r.id)).toEqual([southLapsed.id, lapsed.id]);
      expect(await ctx.store.listLapsedResets({ expiresAt: southLapsed.expiresAt, resetId: southLapsed.id }, at(60), 10)).toMatchObject([{ id: lapsed.id }]);
      expect((await ctx.store.listLapsedResets(undefined, at(60), 1)).map((r) => r.id)).toEqual([southLapsed.id]);
    });

    it('moves the cursor only from where it stands, so one of two sweepers wins', async () => {
      expect(await ctx.store.getExpiryCursor()).toBeUndefined();
      const a = { expiresAt: at(10), resetId: 'r-a' };
      const b = { expiresAt: at(20), resetId: 'r-b' };
      const other = await ctx.other();
      const results = await Promise.all([ctx.store.moveExpiryCursor(undefined, a), other.moveExpiryCursor(undefined, b)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const now = await ctx.store.getExpiryCursor();
      expect([a, b]).toContainEqual(now);
      expect(await ctx.store.moveExpiryCursor(now!.resetId === 'r-a' ? b : a, { expiresAt: at(30), resetId: 'r-c' })).toBe(false);
      expect(await ctx.store.moveExpiryCursor(now, { expiresAt: at(30), resetId: 'r-c' })).toBe(true);
      expect(await ctx.store.getExpiryCursor()).toEqual({ expiresAt: at(30), resetId: 'r-c' });
    });
  });
}
