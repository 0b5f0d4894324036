import { randomBytes } from 'node:crypto';
import type { Store } from '../domain/ports.js';
import type { AuditEvent, WebhookEventType } from '../domain/types.js';

/** The audit event that records a link which expired unused, noticed once by the expiry sweep. */
export const LAPSED_AUDIT_TYPE = 'reset.lapsed';

/** Which audit events become which webhook events. */
const FROM_AUDIT: Record<string, WebhookEventType> = {
  'reset.issued': 'reset.issued',
  'reset.redeemed': 'reset.completed',
  [LAPSED_AUDIT_TYPE]: 'reset.expired',
  'sync.failed': 'sync.failed',
  'sync.needs-attention': 'sync.needs_attention',
};

/** The `data` of a payload: ids and words only. Built field by field, so nothing else slips in. */
export type WebhookData = Record<string, string | number | boolean>;

export interface WebhookEvent {
  id: string;
  type: string;
  createdAt: string;
  partnerId?: string;
  data: WebhookData;
}

export const newEventId = () => `evt_${randomBytes(12).toString('hex')}`;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/** The JSON body as it is signed and sent. */
export function payloadOf(event: WebhookEvent): string {
  return JSON.stringify({ id: event.id, type: event.type, createdAt: event.createdAt, data: event.data });
}

/**
 * The webhook event an audit event stands for, or undefined. The reset it names supplies the
 * company, account and flow; a token, link, code or password is never in the audit detail and
 * never copied from anywhere else.
 */
export async function webhookEventOf(audit: AuditEvent, store: Store): Promise<WebhookEvent | undefined> {
  const type = FROM_AUDIT[audit.type];
  const partnerId = audit.partnerId;
  const d = audit.detail ?? {};
  const resetId = str(d.resetId);
  if (!type || !partnerId || !resetId) return undefined;
  const reset = await store.getReset(resetId, partnerId);
  const accountId = reset?.accountId ?? str(audit.target?.replace(/^account:/, ''));
  const data: WebhookData = {
    partnerId,
    ...(reset?.customerId ?? str(d.customerId) ? { customerId: (reset?.customerId ?? str(d.customerId))! } : {}),
    ...(accountId ? { accountId } : {}),
    resetId,
    // A lapsed link's event says its flow and expiry itself: the reset may be forgotten by the
    // time the event is sent (a sweep catching up after a long outage).
    ...(reset?.flow ?? str(d.flow) ? { flow: (reset?.flow ?? str(d.flow))! } : {}),
  };
  if (type === 'reset.issued') data.channel = str(d.delivery) ?? 'mail';
  if (type === 'reset.expired') data.expiredAt = str(d.expiredAt) ?? reset?.expiresAt ?? audit.at;
  if (type === 'sync.failed' || type === 'sync.needs_attention') {
    if (str(d.syncId)) data.syncId = str(d.syncId)!;
    data.instance = str(d.instance) ?? 'unknown';
    data.role = str(d.role) ?? 'primary';
    // The failure's class in the adapter contract's words (policy, transient, config …), not its text.
    const reason = str(d.class) ?? str(d.reason);
    if (reason) data.reason = reason;
    if (d.outcomeUnknown === true) data.outcomeUnknown = true;
  }
  return { id: newEventId(), type, createdAt: audit.at, partnerId, data };
}
