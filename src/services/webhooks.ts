import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { sharedI18n, type Message } from '../i18n/index.js';
import { AppError, notFound } from '../domain/errors.js';
import type { Clock, RequestContext, Store } from '../domain/ports.js';
import { createSecretBox, type SecretBox } from '../domain/secretbox.js';
import {
  WEBHOOK_EVENT_TYPES, type AdminUser, type WebhookDelivery, type WebhookEventType, type WebhookSubscription,
} from '../domain/types.js';
import { newEventId } from '../webhooks/events.js';
import type { WebhookPublisher } from '../webhooks/publisher.js';
import type { AuditLog } from './audit.js';
import { InputError } from './input-error.js';

/** Who manages subscriptions: an IdP admin in the console, or an operator at the command line. */
export type WebhookManager = { admin: AdminUser } | { operator: string };

/** A subscription as it may be shown: everything but the sealed secret. */
export type WebhookView = Omit<WebhookSubscription, 'sealedSecret'> & { status: 'active' | 'disabled' };

/** What the one who made or rotated a subscription sees once: the signing secret. */
export interface IssuedWebhookSecret {
  subscription: WebhookView;
  secret: string;
}

export interface WebhookInput {
  name: string;
  url: string;
  events: string[];
  partnerId?: string;
}

const ID = /^whk_[0-9a-f]{20}$/;
const DELIVERY_ID = /^whd_[0-9a-f-]{36}$/;
const LOG_LIMIT = 50;

/** Refused input: English in `message` (the API's answer), the same words by key in `text` for the console's pages. */
const problem = (key: string, params?: Message['params']): Message => ({ key: `admin:idp.webhooks.errors.${key}`, ...(params ? { params } : {}) });
const validation = (m: Message) => new InputError(m);

/** Seals signing secrets under a key of their own, derived from the data key. */
export function webhookSecretBox(dataKey: Buffer): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), 'resetbridge webhook secrets', 32));
  const id = `w${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
  return createSecretBox({ [id]: key }, id);
}

const LOOPBACK = /^(localhost|.+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The receiver's URL, or the reason it is refused: https always; http only outside production and
 * only to this machine (a receiver under development), so events never cross a network in clear.
 */
export function urlProblem(raw: string, env: 'development' | 'production' | 'test'): string | undefined {
  const m = urlProblemMessage(raw, env);
  return m && sharedI18n().for('en').message(m);
}

export function urlProblemMessage(raw: string, env: 'development' | 'production' | 'test'): Message | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return problem('urlInvalid');
  }
  if (raw.length > 2000) return problem('urlTooLong');
  if (url.username || url.password) return problem('urlCredentials');
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && env !== 'production' && LOOPBACK.test(url.hostname)) return undefined;
  if (url.protocol === 'http:') return problem(env === 'production' ? 'httpsProduction' : 'httpsLocal');
  return problem('https');
}

function view(s: WebhookSubscription): WebhookView {
  const { sealedSecret: _hidden, ...rest } = s;
  return { ...rest, status: s.disabled ? 'disabled' : 'active' };
}

const newSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

/** Only scheme, host and port: a URL's path or query may carry the receiver's own token. */
const origin = (url: string) => new URL(url).origin;

/**
 * Webhook subscriptions: which events go where, signed with a secret made here, shown once and
 * kept only sealed with the data key (signing needs it in clear). Sending is the outbox's.
 */
export class WebhookService {
  constructor(private readonly deps: {
    store: Store; audit: AuditLog; clock: Clock; box: SecretBox; publisher: WebhookPublisher; env: 'development' | 'production' | 'test';
  }) {}

  private actor(by: WebhookManager): string {
    if ('operator' in by) return `operator:${by.operator}`;
    if (!by.admin.roles.includes('idp-admin')) throw new AppError('FORBIDDEN', 403, 'This page is for IdP administrators.');
    return `admin:${by.admin.email}`;
  }

  async list(by: WebhookManager): Promise<WebhookView[]> {
    this.actor(by);
    return (await this.deps.store.listWebhooks()).map(view);
  }

  async choices(by: WebhookManager): Promise<{ events: readonly WebhookEventType[]; partners: Array<{ id: string; name: string }> }> {
    this.actor(by);
    return { events: WEBHOOK_EVENT_TYPES, partners: (await this.deps.store.listPartners()).map((p) => ({ id: p.id, name: p.name })) };
  }

  /** A subscription and its newest deliveries, each with its attempts. */
  async get(by: WebhookManager, id: string): Promise<{ subscription: WebhookView; deliveries: WebhookDelivery[] }> {
    this.actor(by);
    const s = await this.find(id);
    return { subscription: view(s), deliveries: await this.deps.store.listWebhookDeliveries(s.id, LOG_LIMIT) };
  }

  async create(by: WebhookManager, input: WebhookInput, ctx?: RequestContext): Promise<IssuedWebhookSecret> {
    const actor = this.actor(by);
    const fields = await this.validate(input);
    const secret = newSecret();
    const s: WebhookSubscription = {
      id: `whk_${randomBytes(10).toString('hex')}`, ...fields, sealedSecret: this.deps.box.seal(secret),
      createdAt: this.deps.clock.now().toISOString(), createdBy: actor,
    };
    await this.deps.store.saveWebhook(s);
    await this.record('webhook.created', actor, s, ctx);
    return { subscription: view(s), secret };
  }

  async update(by: WebhookManager, id: string, input: WebhookInput, ctx?: RequestContext): Promise<WebhookView> {
    const actor = this.actor(by);
    const current = await this.find(id);
    const fields = await this.validate(input);
    const { partnerId: _old, ...rest } = current;
    const s: WebhookSubscription = { ...rest, ...fields, updatedAt: this.deps.clock.now().toISOString() };
    await this.deps.store.saveWebhook(s);
    await this.record('webhook.updated', actor, s, ctx);
    return view(s);
  }

  /** A disabled subscription gets no new deliveries; those still queued fail at their next try. */
  async setDisabled(by: WebhookManager, id: string, disabled: boolean, ctx?: RequestContext): Promise<WebhookView> {
    const actor = this.actor(by);
    const current = await this.find(id);
    const { disabled: _was, ...rest } = current;
    const s: WebhookSubscription = { ...rest, ...(disabled ? { disabled: true } : {}), updatedAt: this.deps.clock.now().toISOString() };
    await this.deps.store.saveWebhook(s);
    await this.record(disabled ? 'webhook.disabled' : 'webhook.enabled', actor, s, ctx);
    return view(s);
  }

  /** A new secret, used from the next try on; the old one stops at once. */
  async rotate(by: WebhookManager, id: string, ctx?: RequestContext): Promise<IssuedWebhookSecret> {
    const actor = this.actor(by);
    const secret = newSecret();
    const s: WebhookSubscription = { ...(await this.find(id)), sealedSecret: this.deps.box.seal(secret), rotatedAt: this.deps.clock.now().toISOString() };
    await this.deps.store.saveWebhook(s);
    await this.record('webhook.secret-rotated', actor, s, ctx);
    return { subscription: view(s), secret };
  }

  async remove(by: WebhookManager, id: string, ctx?: RequestContext): Promise<WebhookView> {
    const actor = this.actor(by);
    const s = await this.find(id);
    await this.deps.store.deleteWebhook(s.id);
    await this.record('webhook.deleted', actor, s, ctx);
    return view(s);
  }

  /** A `webhook.test` event to this subscription alone, through the outbox like any other. */
  async sendTest(by: WebhookManager, id: string, ctx?: RequestContext): Promise<WebhookDelivery> {
    const actor = this.actor(by);
    const s = await this.find(id);
    if (s.disabled) throw new AppError('CONFLICT', 409, 'This subscription is disabled; enable it to send a test event.');
    const [delivery] = await this.deps.publisher.publish({
      id: newEventId(), type: 'webhook.test', createdAt: this.deps.clock.now().toISOString(),
      ...(s.partnerId ? { partnerId: s.partnerId } : {}), data: { subscriptionId: s.id, ...(s.partnerId ? { partnerId: s.partnerId } : {}) },
    }, s, 'test');
    await this.record('webhook.test-sent', actor, s, ctx);
    return delivery!;
  }

  /** The delivery's event again, same id and body, as a new delivery with a log of its own. */
  async redeliver(by: WebhookManager, id: string, deliveryId: string, ctx?: RequestContext): Promise<WebhookDelivery> {
    const actor = this.actor(by);
    const s = await this.find(id);
    if (s.disabled) throw new AppError('CONFLICT', 409, 'This subscription is disabled; enable it to redeliver.');
    const original = DELIVERY_ID.test(deliveryId) ? await this.deps.store.getWebhookDelivery(s.id, deliveryId) : undefined;
    if (!original) throw notFound('Delivery');
    const again = await this.deps.publisher.redeliver(original);
    await this.record('webhook.redelivered', actor, s, ctx, { eventId: original.eventId });
    return again;
  }

  private async validate(input: WebhookInput): Promise<Omit<WebhookSubscription, 'id' | 'sealedSecret' | 'createdAt' | 'createdBy'>> {
    const name = input.name.trim();
    if (!name || name.length > 100) throw validation(problem('name'));
    const url = input.url.trim();
    const refused = urlProblemMessage(url, this.deps.env);
    if (refused) throw validation(refused);
    const events = [...new Set(input.events)];
    const unknown = events.filter((e) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e));
    if (unknown.length) throw validation(problem('unknownEvent', { unknown: unknown.join(', '), known: WEBHOOK_EVENT_TYPES.join(', ') }));
    if (!events.length) throw validation(problem('noEvent'));
    const partnerId = input.partnerId?.trim() || undefined;
    if (partnerId && !(await this.deps.store.getPartner(partnerId))) throw validation(problem('noPartner', { partner: partnerId }));
    return { name, url, events: events as WebhookEventType[], ...(partnerId ? { partnerId } : {}) };
  }

  private async find(id: string): Promise<WebhookSubscription> {
    const s = ID.test(id) ? await this.deps.store.getWebhook(id) : undefined;
    if (!s) throw notFound('Webhook subscription');
    return s;
  }

  private async record(type: string, actor: string, s: WebhookSubscription, ctx: RequestContext | undefined, extra: Record<string, string> = {}): Promise<void> {
    await this.deps.audit.record({
      type, outcome: 'success', actor, target: `webhook:${s.id}`, ...(s.partnerId ? { partnerId: s.partnerId } : {}),
      detail: { name: s.name, receiver: origin(s.url), events: s.events.join(' '), ...extra },
    }, ctx);
  }
}
