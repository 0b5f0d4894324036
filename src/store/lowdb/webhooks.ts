import type { Low } from 'lowdb';
import type { WebhookNext } from '../../domain/ports.js';
import type {
  ExpiryCursor, ResetRecord, WebhookAttempt, WebhookDelivery, WebhookSubscription,
} from '../../domain/types.js';
import { closeCollection, openCollection } from './collection.js';

interface Subscriptions { subscriptions: WebhookSubscription[]; expiryCursor?: ExpiryCursor }
interface Deliveries { deliveries: WebhookDelivery[] }

const copy = <T>(x: T): T => structuredClone(x);

/** Code-unit order, the same as PostgreSQL's `COLLATE "C"`. */
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const afterCursor = (r: ResetRecord, c: ExpiryCursor | undefined) =>
  !c || r.expiresAt > c.expiresAt || (r.expiresAt === c.expiresAt && cmp(r.id, c.resetId) > 0);

/** A link that expired unused: a revocation after the expiry (by a newer link) does not count. */
export function lapsedResets(resets: ResetRecord[], after: ExpiryCursor | undefined, until: string, limit: number): ResetRecord[] {
  return resets
    .filter((r) => !r.consumedAt && (!r.revokedAt || r.revokedAt >= r.expiresAt) && r.expiresAt <= until && afterCursor(r, after))
    .sort((a, b) => cmp(a.expiresAt, b.expiresAt) || cmp(a.id, b.id))
    .slice(0, limit)
    .map((r) => ({ ...r }));
}

/**
 * Webhook subscriptions (`webhooks.json`) and their delivery outbox (`webhook-deliveries.json`) of
 * the embedded store. One process owns the files, so a claim without an await in between is atomic.
 */
export class LowdbWebhooks {
  private subs: Low<Subscriptions> | undefined;
  private outbox: Low<Deliveries> | undefined;

  async open(dir: string): Promise<void> {
    this.subs = await openCollection<Subscriptions>(dir, 'webhooks', { subscriptions: [] });
    this.outbox = await openCollection<Deliveries>(dir, 'webhook-deliveries', { deliveries: [] });
    // Deliveries held by this process when it stopped are free again at once.
    let changed = false;
    for (const d of this.outbox.data.deliveries) {
      if (d.status === 'delivering') {
        d.status = 'pending';
        delete d.leaseUntil;
        changed = true;
      }
    }
    if (changed) await this.outbox.write();
  }

  private get s(): Low<Subscriptions> {
    if (!this.subs) throw new Error('the webhook collections are not open');
    return this.subs;
  }

  private get o(): Low<Deliveries> {
    if (!this.outbox) throw new Error('the webhook collections are not open');
    return this.outbox;
  }

  async saveWebhook(subscription: WebhookSubscription): Promise<void> {
    const list = this.s.data.subscriptions;
    const i = list.findIndex((x) => x.id === subscription.id);
    if (i === -1) list.push(copy(subscription));
    else list[i] = copy(subscription);
    await this.s.write();
  }

  async getWebhook(id: string): Promise<WebhookSubscription | undefined> {
    const found = this.s.data.subscriptions.find((x) => x.id === id);
    return found && copy(found);
  }

  async listWebhooks(): Promise<WebhookSubscription[]> {
    return this.s.data.subscriptions.map(copy);
  }

  async deleteWebhook(id: string): Promise<boolean> {
    const list = this.s.data.subscriptions;
    const i = list.findIndex((x) => x.id === id);
    if (i === -1) return false;
    list.splice(i, 1);
    this.o.data.deliveries = this.o.data.deliveries.filter((d) => d.subscriptionId !== id);
    await this.o.write();
    await this.s.write();
    return true;
  }

  async enqueueWebhookDeliveries(deliveries: WebhookDelivery[]): Promise<void> {
    if (!deliveries.length) return;
    this.o.data.deliveries.push(...deliveries.map(copy));
    await this.o.write();
  }

  async claimWebhookDeliveries(now: string, leaseUntil: string, limit: number): Promise<WebhookDelivery[]> {
    const due = this.o.data.deliveries
      .filter((d) => (d.status === 'pending' && d.nextAttemptAt <= now) || (d.status === 'delivering' && (d.leaseUntil ?? '') <= now))
      .sort((a, b) => cmp(a.nextAttemptAt, b.nextAttemptAt))
      .slice(0, limit);
    for (const d of due) {
      d.status = 'delivering';
      d.leaseUntil = leaseUntil;
      d.attempts++;
    }
    if (due.length) await this.o.write();
    return due.map(copy);
  }

  async finishWebhookDelivery(id: string, attempt: WebhookAttempt, next: WebhookNext): Promise<void> {
    const d = this.o.data.deliveries.find((x) => x.id === id);
    if (!d) return;
    d.log.push({ ...attempt });
    d.status = next.status;
    delete d.leaseUntil;
    if (next.status === 'pending') d.nextAttemptAt = next.nextAttemptAt;
    else d.doneAt = attempt.at;
    await this.o.write();
  }

  async getWebhookDelivery(subscriptionId: string, deliveryId: string): Promise<WebhookDelivery | undefined> {
    const found = this.o.data.deliveries.find((d) => d.id === deliveryId && d.subscriptionId === subscriptionId);
    return found && copy(found);
  }

  async listWebhookDeliveries(subscriptionId: string, limit: number): Promise<WebhookDelivery[]> {
    return this.o.data.deliveries
      .filter((d) => d.subscriptionId === subscriptionId)
      .sort((a, b) => cmp(b.createdAt, a.createdAt) || cmp(b.id, a.id))
      .slice(0, limit)
      .map(copy);
  }

  async deleteSettledWebhookDeliveries(before: string): Promise<number> {
    const keep = this.o.data.deliveries.filter((d) => d.createdAt >= before || d.status === 'pending' || d.status === 'delivering');
    const removed = this.o.data.deliveries.length - keep.length;
    if (removed) {
      this.o.data.deliveries = keep;
      await this.o.write();
    }
    return removed;
  }

  async close(): Promise<void> {
    await Promise.all([closeCollection(this.subs), closeCollection(this.outbox)]);
  }

  async getExpiryCursor(): Promise<ExpiryCursor | undefined> {
    const c = this.s.data.expiryCursor;
    return c && { ...c };
  }

  async moveExpiryCursor(from: ExpiryCursor | undefined, to: ExpiryCursor): Promise<boolean> {
    const c = this.s.data.expiryCursor;
    const same = c === undefined ? from === undefined : from !== undefined && c.expiresAt === from.expiresAt && c.resetId === from.resetId;
    if (!same) return false;
    this.s.data.expiryCursor = { ...to };
    await this.s.write();
    return true;
  }
}
