import { PolledWorker } from '../lib/polling.js';
import type { Clock, Store, WebhookNext } from '../domain/ports.js';
import type { SecretBox } from '../domain/secretbox.js';
import type { WebhookAttempt, WebhookDelivery, WebhookSubscription } from '../domain/types.js';
import type { Logger } from '../sync/contract.js';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signWebhook } from './signature.js';

export interface WebhookTimings {
  timeoutMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

export interface WebhookOutboxDeps {
  store: Store;
  clock: Clock;
  box: SecretBox;
  logger: Logger;
  timings: WebhookTimings;
  pollMs: number;
  /** Settled deliveries older than this are deleted (checked hourly), ms. */
  keepMs: number;
  fetch?: typeof fetch;
  random?: () => number;
  /** Counts outcomes (metrics). */
  onOutcome?: (outcome: DeliveryOutcome) => void;
}

const BATCH = 10;
const HOUR = 3_600_000;
const USER_AGENT = 'resetbridge-webhooks/1';

/** Exponential backoff with jitter (half fixed, half random), never sooner than the receiver asked. */
export function webhookBackoff(attempt: number, retryAfterMs: number | undefined, t: Pick<WebhookTimings, 'retryBaseMs' | 'retryMaxMs'>, random: () => number): number {
  const exp = Math.min(t.retryMaxMs, t.retryBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(Math.round(exp / 2 + random() * (exp / 2)), retryAfterMs ?? 0);
}

/** Retry-After as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now: Date): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const when = Date.parse(value);
  return Number.isNaN(when) ? undefined : Math.max(0, when - now.getTime());
}

/**
 * Posts queued deliveries to their subscriptions' URLs, signed with each subscription's current
 * secret: a 2xx answer delivers, anything else is retried with backoff until the attempts or the
 * time run out. Every try goes into the delivery's log.
 */
export class WebhookOutbox extends PolledWorker {
  private prunedAt = 0;

  constructor(private readonly deps: WebhookOutboxDeps) {
    super({ pollMs: deps.pollMs, logger: deps.logger, failure: 'webhook delivery pass failed; will try again' });
  }

  protected async drain(): Promise<void> {
    const { store, clock, timings } = this.deps;
    await this.prune();
    for (;;) {
      const now = clock.now();
      // The lease outlasts one POST, so a delivery is retried elsewhere only when this process stopped.
      const lease = new Date(now.getTime() + timings.timeoutMs + 60_000).toISOString();
      const batch = await store.claimWebhookDeliveries(now.toISOString(), lease, BATCH);
      if (!batch.length) return;
      await Promise.all(batch.map((d) => this.deliver(d)));
    }
  }

  private async deliver(delivery: WebhookDelivery): Promise<void> {
    const { store, clock, logger } = this.deps;
    const subscription = await store.getWebhook(delivery.subscriptionId);
    const started = clock.now();
    const active = subscription && !subscription.disabled ? subscription : undefined;
    const { attempt, retryAfter } = active
      ? await this.post(active, delivery)
      : { attempt: { at: started.toISOString(), durationMs: 0, error: subscription ? 'The subscription is disabled.' : 'The subscription no longer exists.' }, retryAfter: undefined };
    const ok = attempt.statusCode !== undefined && attempt.statusCode >= 200 && attempt.statusCode < 300;
    const next = this.nextStep(delivery, ok, !active, retryAfter);
    await store.finishWebhookDelivery(delivery.id, attempt, next);
    const outcome: DeliveryOutcome = next.status === 'delivered' ? 'delivered' : next.status === 'pending' ? 'retry' : 'failed';
    this.deps.onOutcome?.(outcome);
    if (outcome !== 'delivered') {
      // The URL is left out: it is the subscriber's, and some carry a token in their query.
      logger.warn({ deliveryId: delivery.id, subscriptionId: delivery.subscriptionId, attempt: delivery.attempts, status: attempt.statusCode, error: attempt.error },
        outcome === 'retry' ? 'webhook delivery failed; will retry' : 'webhook delivery failed; giving up');
    }
  }

  private nextStep(delivery: WebhookDelivery, ok: boolean, stopped: boolean, retryAfter: number | undefined): WebhookNext {
    if (ok) return { status: 'delivered' };
    const { clock, timings } = this.deps;
    if (stopped || delivery.attempts >= timings.maxAttempts) return { status: 'failed' };
    const now = clock.now();
    const wait = webhookBackoff(delivery.attempts, retryAfter, timings, this.deps.random ?? Math.random);
    const at = new Date(now.getTime() + wait);
    if (at.toISOString() > delivery.giveUpAt) return { status: 'failed' };
    return { status: 'pending', nextAttemptAt: at.toISOString() };
  }

  private async post(subscription: WebhookSubscription, delivery: WebhookDelivery): Promise<{ attempt: WebhookAttempt; retryAfter: number | undefined }> {
    const { clock, box, timings } = this.deps;
    const started = clock.now();
    const at = started.toISOString();
    const t0 = performance.now();
    const duration = () => Math.round(performance.now() - t0);
    try {
      const signature = signWebhook(box.open(subscription.sealedSecret), delivery.body, Math.floor(started.getTime() / 1000));
      const res = await (this.deps.fetch ?? fetch)(subscription.url, {
        method: 'POST',
        body: delivery.body,
        // A redirect is not followed: the receiver is the URL the admin gave, not wherever it points.
        redirect: 'manual',
        signal: AbortSignal.timeout(timings.timeoutMs),
        headers: {
          'Content-Type': 'application/json', 'User-Agent': USER_AGENT,
          [SIGNATURE_HEADER]: signature, [EVENT_ID_HEADER]: delivery.eventId, [EVENT_TYPE_HEADER]: delivery.eventType,
        },
      });
      // The body is not kept (it is the receiver's, and may be large); it is drained so the socket is freed.
      await res.body?.cancel().catch(() => undefined);
      const ok = res.status >= 200 && res.status < 300;
      return {
        attempt: { at, statusCode: res.status, durationMs: duration(), ...(ok ? {} : { error: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`.slice(0, 120) }) },
        retryAfter: retryAfterMs(res.headers.get('retry-after'), clock.now()),
      };
    } catch (e) {
      return { attempt: { at, durationMs: duration(), error: describeError(e, timings.timeoutMs) }, retryAfter: undefined };
    }
  }

  private async prune(): Promise<void> {
    const now = this.deps.clock.now().getTime();
    if (now - this.prunedAt < HOUR) return;
    this.prunedAt = now;
    await this.deps.store.deleteSettledWebhookDeliveries(new Date(now - this.deps.keepMs).toISOString());
  }
}

/** Short words for the log page: what went wrong, never a URL or header. */
function describeError(e: unknown, timeoutMs: number): string {
  const err = e as Error & { cause?: { code?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `No answer within ${timeoutMs} ms.`;
  const code = err.cause?.code;
  if (code === 'ECONNREFUSED') return 'Connection refused.';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'The host name could not be resolved.';
  if (code === 'ECONNRESET') return 'The connection was reset.';
  if (code && /CERT|SSL|TLS/.test(code)) return `TLS failed (${code}).`;
  return code ? `Could not connect (${code}).` : 'The request failed.';
}
