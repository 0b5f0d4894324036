import { randomUUID } from 'node:crypto';
import type { Clock, Store } from '../domain/ports.js';
import type { AuditEvent, WebhookDelivery, WebhookSubscription } from '../domain/types.js';
import type { Logger } from '../sync/contract.js';
import { payloadOf, webhookEventOf, type WebhookEvent } from './events.js';

/** Whether a subscription wants an event: enabled, the type chosen, and the partner (when restricted) its own. */
export function wants(s: WebhookSubscription, event: Pick<WebhookEvent, 'type' | 'partnerId'>): boolean {
  if (s.disabled) return false;
  if (!(s.events as string[]).includes(event.type)) return false;
  return s.partnerId === undefined || s.partnerId === event.partnerId;
}

/**
 * Turns audit events into queued deliveries, one per interested subscription. It listens to the
 * audit log (every event it sends is an audited fact) and hands the outbox a kick.
 */
export class WebhookPublisher {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: {
    store: Store; clock: Clock; logger: Logger; retryMs: number; kick: () => void;
  }) {}

  /** For `AuditLog.onEvent`: never throws into the caller's request; `settle()` waits for it. */
  readonly onAudit = (audit: AuditEvent): void => {
    const work = this.fromAudit(audit).catch((e: unknown) => {
      this.deps.logger.warn({ auditSeq: audit.seq, type: audit.type, error: (e as Error).message }, 'could not queue webhook deliveries for an event');
    });
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  };

  private async fromAudit(audit: AuditEvent): Promise<void> {
    const event = await webhookEventOf(audit, this.deps.store);
    if (event) await this.publish(event);
  }

  /** Queues `event` for every subscription that wants it (or only for `only`); returns the deliveries. */
  async publish(event: WebhookEvent, only?: WebhookSubscription, origin?: WebhookDelivery['origin']): Promise<WebhookDelivery[]> {
    const targets = only ? [only] : (await this.deps.store.listWebhooks()).filter((s) => wants(s, event));
    if (!targets.length) return [];
    const now = this.deps.clock.now();
    const body = payloadOf(event);
    const deliveries = targets.map((s): WebhookDelivery => ({
      id: `whd_${randomUUID()}`, subscriptionId: s.id, eventId: event.id, eventType: event.type,
      ...(event.partnerId ? { partnerId: event.partnerId } : {}), body,
      status: 'pending', attempts: 0, createdAt: now.toISOString(), nextAttemptAt: now.toISOString(),
      giveUpAt: new Date(now.getTime() + this.deps.retryMs).toISOString(), log: [],
      ...(origin ? { origin } : {}),
    }));
    await this.deps.store.enqueueWebhookDeliveries(deliveries);
    this.deps.kick();
    return deliveries;
  }

  /** The same event (same id, same body) once more to one subscription: receivers deduplicate by event id. */
  async redeliver(original: WebhookDelivery): Promise<WebhookDelivery> {
    const now = this.deps.clock.now();
    const again: WebhookDelivery = {
      ...original, id: `whd_${randomUUID()}`, status: 'pending', attempts: 0, createdAt: now.toISOString(), nextAttemptAt: now.toISOString(),
      giveUpAt: new Date(now.getTime() + this.deps.retryMs).toISOString(), log: [], origin: 'redelivery',
    };
    delete again.leaseUntil;
    delete again.doneAt;
    await this.deps.store.enqueueWebhookDeliveries([again]);
    this.deps.kick();
    return again;
  }

  /** Waits until every audit event seen so far has its deliveries queued (graceful shutdown). */
  async settle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }
}
