import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuditEvent } from '../domain/types.js';

/**
 * Prometheus metrics, one registry per app (tests run several in one process). Reset-specific
 * counters are driven by audit events, so every counted fact is also an audited one.
 */
export interface OutboxStats {
  waiting: number;
  failed: number;
  oldestWaitingAt?: string;
}

export function createMetrics(deps: { mailOutbox?: () => Promise<OutboxStats>; now?: () => Date } = {}) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'resetbridge_' });
  const counter = (name: string, help: string, labelNames: string[] = []) => new Counter({ name, help, labelNames, registers: [registry] });
  const http = new Histogram({
    name: 'resetbridge_http_request_duration_seconds', help: 'HTTP request latency by route',
    labelNames: ['method', 'route', 'status'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  });
  const issued = counter('resetbridge_resets_issued_total', 'Reset links issued, by channel', ['channel']);
  const mails = counter('resetbridge_mails_total', 'Mail delivery outcomes', ['kind', 'outcome']);
  const opened = counter('resetbridge_links_opened_total', 'Reset pages opened with a valid link');
  const redeemed = counter('resetbridge_resets_redeemed_total', 'Passwords changed through a reset link');
  const expired = counter('resetbridge_links_expired_total', 'Expired links that someone tried to use');
  const rejected = counter('resetbridge_policy_rejections_total', 'Passwords refused, by who refused them', ['by']);
  const syncFailed = counter('resetbridge_sync_failures_total', 'Directory writes that failed, by instance and class', ['instance', 'class']);
  const syncAttempts = counter('resetbridge_sync_attempts_total', 'Writes of a new password to a directory, by instance, role and result', ['instance', 'role', 'result']);
  const syncAttention = counter('resetbridge_sync_needs_attention_total', 'Targets that need an IdP admin (policy, configuration, or out of time)', ['instance']);
  const throttled = counter('resetbridge_throttled_total', 'Requests refused by a rate limit', ['bucket']);
  const signIns = counter('resetbridge_admin_signins_total', 'Admin sign-ins, by outcome', ['outcome']);
  const webhookDeliveries = counter('resetbridge_webhook_deliveries_total', 'Webhook delivery attempts, by outcome (delivered, retry, failed)', ['outcome']);

  if (deps.mailOutbox) {
    const read = deps.mailOutbox;
    const now = deps.now ?? (() => new Date());
    // Read from the store at scrape time, so every instance reports the shared outbox as it is.
    new Gauge({
      name: 'resetbridge_mail_outbox_depth', help: 'Mails in the outbox, by state', labelNames: ['state'], registers: [registry],
      async collect() {
        const s = await read();
        this.set({ state: 'waiting' }, s.waiting);
        this.set({ state: 'failed' }, s.failed);
      },
    });
    new Gauge({
      name: 'resetbridge_mail_outbox_oldest_age_seconds', help: 'Age of the oldest mail still waiting to be sent (0 when none)', registers: [registry],
      async collect() {
        const s = await read();
        this.set(s.oldestWaitingAt ? Math.max(0, (now().getTime() - Date.parse(s.oldestWaitingAt)) / 1000) : 0);
      },
    });
  }

  const onAudit = (e: AuditEvent): void => {
    const d = e.detail ?? {};
    switch (e.type) {
      case 'reset.issued': issued.inc({ channel: String(d.channel ?? d.flow ?? 'admin') }); break;
      case 'mail.sent': case 'mail.retry': case 'mail.failed': case 'mail.bounced': mails.inc({ kind: String(d.kind ?? 'unknown'), outcome: e.type.slice(5) }); break;
      case 'reset.opened': opened.inc(); break;
      case 'reset.redeemed': redeemed.inc(); break;
      case 'reset.expired': expired.inc(); break;
      case 'reset.rejected': rejected.inc({ by: String(d.by ?? 'unknown') }); break;
      case 'sync.failed': syncFailed.inc({ instance: String(d.instance ?? 'unknown'), class: String(d.class ?? 'unknown') }); break;
      case 'sync.attempt': syncAttempts.inc({ instance: String(d.instance ?? 'unknown'), role: String(d.role ?? 'unknown'), result: String(d.result ?? 'unknown') }); break;
      case 'sync.needs-attention': syncAttention.inc({ instance: String(d.instance ?? 'unknown') }); break;
      case 'reset.throttled': throttled.inc({ bucket: String(d.bucket ?? 'unknown') }); break;
      case 'admin.signin': signIns.inc({ outcome: e.outcome }); break;
    }
  };

  /** Times each request; the route label is the matched pattern, never the path (it may hold a token). */
  const timing: RequestHandler = (req, res, next) => {
    const end = http.startTimer();
    res.on('finish', () => {
      const route = req.route?.path ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };

  /** Not an audit event: a delivery's attempts are kept in its own log. */
  const onWebhookDelivery = (outcome: 'delivered' | 'retry' | 'failed'): void => {
    webhookDeliveries.inc({ outcome });
  };

  return { registry, onAudit, timing, onWebhookDelivery };
}

export type Metrics = ReturnType<typeof createMetrics>;
