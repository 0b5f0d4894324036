import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError, notFound } from '../domain/errors.js';
import type { Message } from '../i18n/index.js';
import type { Clock, RequestContext, Store } from '../domain/ports.js';
import { API_SCOPES, type AdminUser, type ApiClient, type ApiScope } from '../domain/types.js';
import type { AuditLog } from './audit.js';
import { InputError } from './input-error.js';

/** Who manages clients: an IdP admin in the console, or an operator at the command line. */
export type ClientManager = { admin: AdminUser } | { operator: string };

/** A client as it may be shown: everything but the secret's hash. */
export type ApiClientView = Omit<ApiClient, 'secretHash'> & { status: 'active' | 'revoked' };

/** What the one who made or rotated a client sees once: the `Authorization: Bearer` token. */
export interface IssuedCredentials {
  client: ApiClientView;
  token: string;
}

const ID = /^rbc_[0-9a-f]{20}$/;
const TOKEN = /^(rbc_[0-9a-f]{20})\.([A-Za-z0-9_-]{43})$/;
/** Last-used times are kept to the minute: a busy client does not cost a write per request. */
const TOUCH_EVERY_MS = 60_000;
/** Compared against when the id is unknown, so a miss takes as long as a wrong secret. */
const NO_HASH = Buffer.alloc(32);

const sha256 = (s: string) => createHash('sha256').update(s).digest();
/** Refused input: English in `message` (the API's and the command line's answer), the same words by key in `text` for the console. */
const validation = (key: string, params?: Message['params']) =>
  new InputError({ key: `admin:idp.apiClients.errors.${key}`, ...(params ? { params } : {}) });

function view(c: ApiClient): ApiClientView {
  const { secretHash: _hidden, ...rest } = c;
  return { ...rest, status: c.revokedAt ? 'revoked' : 'active' };
}

function newSecret(): { secret: string; secretHash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, secretHash: sha256(secret).toString('hex') };
}

/** Expands `x:write` to include `x:read`. */
export function grants(client: Pick<ApiClient, 'scopes'>, scope: ApiScope): boolean {
  if (client.scopes.includes(scope)) return true;
  return scope.endsWith(':read') && client.scopes.includes(scope.replace(/:read$/, ':write') as ApiScope);
}

/**
 * Service credentials for the REST API. A client is an id and a 256-bit secret, shown once and
 * stored as SHA-256 (a high-entropy secret needs no slow hash); rotation replaces the secret at once.
 */
export class ApiClientService {
  constructor(private readonly deps: { store: Store; audit: AuditLog; clock: Clock }) {}

  private actor(by: ClientManager): string {
    if ('operator' in by) return `operator:${by.operator}`;
    if (!by.admin.roles.includes('idp-admin')) throw new AppError('FORBIDDEN', 403, 'This page is for IdP administrators.');
    return `admin:${by.admin.email}`;
  }

  async list(by: ClientManager): Promise<ApiClientView[]> {
    this.actor(by);
    return (await this.deps.store.listApiClients()).map(view);
  }

  /** What the create form offers: the scopes, and the partners a client may be restricted to. */
  async choices(by: ClientManager): Promise<{ scopes: readonly ApiScope[]; partners: Array<{ id: string; name: string }> }> {
    this.actor(by);
    return { scopes: API_SCOPES, partners: (await this.deps.store.listPartners()).map((p) => ({ id: p.id, name: p.name })) };
  }

  async create(by: ClientManager, input: { name: string; scopes: string[]; partnerId?: string }, ctx?: RequestContext): Promise<IssuedCredentials> {
    const actor = this.actor(by);
    const name = input.name.trim();
    if (!name || name.length > 100) throw validation('name');
    const scopes = [...new Set(input.scopes)];
    const unknown = scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
    if (unknown.length) throw validation('unknownScope', { unknown: unknown.join(', '), known: API_SCOPES.join(', ') });
    if (!scopes.length) throw validation('noScope');
    const partnerId = input.partnerId?.trim() || undefined;
    if (partnerId && !(await this.deps.store.getPartner(partnerId))) throw validation('noPartner', { partner: partnerId });

    const { secret, secretHash } = newSecret();
    const client: ApiClient = {
      id: `rbc_${randomBytes(10).toString('hex')}`, name, scopes: scopes as ApiScope[], secretHash,
      ...(partnerId ? { partnerId } : {}), createdAt: this.deps.clock.now().toISOString(), createdBy: actor,
    };
    await this.deps.store.saveApiClient(client);
    await this.record('api-client.created', actor, client, ctx, { scopes: client.scopes.join(' '), partner: partnerId ?? '(all)' });
    return { client: view(client), token: `${client.id}.${secret}` };
  }

  async revoke(by: ClientManager, id: string, ctx?: RequestContext): Promise<ApiClientView> {
    const actor = this.actor(by);
    const client = await this.find(id);
    if (client.revokedAt) return view(client);
    const revoked = { ...client, revokedAt: this.deps.clock.now().toISOString() };
    await this.deps.store.saveApiClient(revoked);
    await this.record('api-client.revoked', actor, revoked, ctx);
    return view(revoked);
  }

  /** A new secret; the old one stops working at once. A revoked client stays revoked. */
  async rotate(by: ClientManager, id: string, ctx?: RequestContext): Promise<IssuedCredentials> {
    const actor = this.actor(by);
    const client = await this.find(id);
    if (client.revokedAt) throw new AppError('CONFLICT', 409, 'This client is revoked; create a new one instead.');
    const { secret, secretHash } = newSecret();
    const rotated = { ...client, secretHash, rotatedAt: this.deps.clock.now().toISOString() };
    await this.deps.store.saveApiClient(rotated);
    await this.record('api-client.rotated', actor, rotated, ctx);
    return { client: view(rotated), token: `${client.id}.${secret}` };
  }

  /** The active client a bearer token belongs to, or undefined; the secret is compared in constant time. */
  async authenticate(token: string): Promise<ApiClient | undefined> {
    const m = TOKEN.exec(token);
    if (!m) return undefined;
    const client = await this.deps.store.getApiClient(m[1]!);
    const expected = client ? Buffer.from(client.secretHash, 'hex') : NO_HASH;
    const matches = expected.length === 32 && timingSafeEqual(sha256(m[2]!), expected);
    if (!client || !matches || client.revokedAt) return undefined;
    const now = this.deps.clock.now();
    if (!client.lastUsedAt || now.getTime() - Date.parse(client.lastUsedAt) >= TOUCH_EVERY_MS) {
      await this.deps.store.touchApiClient(client.id, now.toISOString());
    }
    return client;
  }

  private async find(id: string): Promise<ApiClient> {
    const client = ID.test(id) ? await this.deps.store.getApiClient(id) : undefined;
    if (!client) throw notFound('API client');
    return client;
  }

  private async record(type: string, actor: string, client: ApiClient, ctx: RequestContext | undefined, extra: Record<string, string> = {}): Promise<void> {
    await this.deps.audit.record({
      type, outcome: 'success', actor, target: `api-client:${client.id}`,
      ...(client.partnerId ? { partnerId: client.partnerId } : {}), detail: { name: client.name, ...extra },
    }, ctx);
  }
}
