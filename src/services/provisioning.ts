import { AppError, notFound } from '../domain/errors.js';
import type { Clock, RequestContext, Store } from '../domain/ports.js';
import type { ApiClient, CursorPage, Partner } from '../domain/types.js';
import type { AuditLog } from './audit.js';

/** The API client behind a request, and where the request came from. */
export interface ApiCaller {
  client: ApiClient;
  ctx: RequestContext;
}

export interface ProvisioningDeps {
  store: Store;
  audit: AuditLog;
  clock: Clock;
  /** Whether a directory instance with this id is configured (for company bindings). */
  knownDirectory: (id: string) => boolean;
}

/** What happened to one record of an upsert. */
export type UpsertOutcome = 'created' | 'updated' | 'restored';

export interface PageRequest {
  cursor?: string;
  limit: number;
  includeDeleted?: boolean;
}

/** Absent keeps a field, null removes it, a value sets it. */
export type Patch<T> = { [K in keyof T]?: T[K] | null };

/** A refused input, with where in the request each problem is (JSON Pointers such as `/body/directory/instance`). */
export class InputError extends AppError {
  constructor(readonly errors: Array<{ path: string; message: string }>) {
    super('VALIDATION', 422, errors.map((e) => e.message).join(' '));
  }
}

export const validation = (message: string, path?: string) =>
  (path ? new InputError([{ path, message }]) : new AppError('VALIDATION', 422, message));
export const conflict = (message: string) => new AppError('CONFLICT', 409, message);

export function applyPatch<T extends object>(current: T, patch: object): T {
  const out = { ...current } as Record<string, unknown>;
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else if (v !== undefined) out[k] = v;
  }
  return out as T;
}

/** Cursors are opaque to clients: the last id of the page, wrapped so nobody builds one by hand. */
export function encodeCursor(next: string | undefined): string | null {
  return next === undefined ? null : Buffer.from(JSON.stringify({ after: next })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof after === 'string') return after;
  } catch {
    // falls through to the same answer as a well-formed but foreign cursor
  }
  throw validation('The cursor is not one this API handed out; start again without it.');
}

export function pageOut<T>(page: CursorPage<T>): { items: T[]; next: string | null } {
  return { items: page.items, next: encodeCursor(page.next) };
}

/**
 * The partner a caller may act on: a client restricted to another partner gets 404, exactly as for
 * a partner that does not exist, so it learns nothing about partners it may not see.
 */
export async function visiblePartner(store: Store, caller: ApiCaller, partnerId: string): Promise<Partner> {
  const restricted = caller.client.partnerId;
  const partner = restricted && restricted !== partnerId ? undefined : await store.getPartner(partnerId);
  if (!partner) throw notFound('Partner');
  return partner;
}

export const actorOf = (caller: ApiCaller) => `api-client:${caller.client.id}`;

export async function recordChange(
  deps: Pick<ProvisioningDeps, 'audit'>, caller: ApiCaller, type: string, partnerId: string, target: string,
  detail: Record<string, string | number | boolean> = {},
): Promise<void> {
  await deps.audit.record({ type, outcome: 'success', actor: actorOf(caller), partnerId, target, detail }, caller.ctx);
}

export interface PartnerInput {
  name: string;
  domains: string[];
  disabled?: boolean;
  selfService?: boolean;
  /** Reset links may be returned to a client with `resets:link` instead of being mailed. */
  outOfBandLinks?: boolean;
  defaultLocale?: string;
}

/**
 * Partners as the licensing platform keeps them. Only clients without a partner restriction change
 * partners: a partner's own client must not rename it or claim sign-in domains.
 */
export class PartnerProvisioning {
  constructor(private readonly deps: ProvisioningDeps) {}

  async list(caller: ApiCaller, req: PageRequest) {
    const restricted = caller.client.partnerId;
    const after = decodeCursor(req.cursor);
    return pageOut(await this.deps.store.pagePartners({
      limit: req.limit, ...(after !== undefined ? { after } : {}), ...(req.includeDeleted ? { includeDeleted: true } : {}),
      ...(restricted ? { ids: [restricted] } : {}),
    }));
  }

  get(caller: ApiCaller, partnerId: string): Promise<Partner> {
    return visiblePartner(this.deps.store, caller, partnerId);
  }

  async create(caller: ApiCaller, input: PartnerInput & { id: string }): Promise<Partner> {
    this.mayWrite(caller);
    if (await this.stored(input.id)) throw conflict(`The partner id ${input.id} is taken (perhaps by a deleted partner: PUT /partners/${input.id} brings it back).`);
    const partner = await this.checked({ ...input });
    await this.deps.store.savePartner(partner);
    await recordChange(this.deps, caller, 'api.partner.created', partner.id, `partner:${partner.id}`);
    return partner;
  }

  /** Creates the partner, or replaces its fields; a deleted partner comes back. */
  async put(caller: ApiCaller, partnerId: string, input: PartnerInput): Promise<{ partner: Partner; outcome: UpsertOutcome }> {
    this.mayWrite(caller, partnerId);
    const current = await this.stored(partnerId);
    const partner = await this.checked({ id: partnerId, ...input });
    const outcome: UpsertOutcome = !current ? 'created' : current.deletedAt ? 'restored' : 'updated';
    await this.deps.store.savePartner(partner);
    await recordChange(this.deps, caller, `api.partner.${outcome}`, partnerId, `partner:${partnerId}`);
    return { partner, outcome };
  }

  async patch(caller: ApiCaller, partnerId: string, patch: Patch<PartnerInput>): Promise<Partner> {
    this.mayWrite(caller, partnerId);
    const current = await visiblePartner(this.deps.store, caller, partnerId);
    const partner = await this.checked(applyPatch(current, patch));
    await this.deps.store.savePartner(partner);
    await recordChange(this.deps, caller, 'api.partner.updated', partnerId, `partner:${partnerId}`, { fields: Object.keys(patch).join(' ') });
    return partner;
  }

  /** Soft delete: sign-in and the console refuse the partner from now on, and its open links stop working. */
  async remove(caller: ApiCaller, partnerId: string): Promise<void> {
    this.mayWrite(caller, partnerId);
    const current = await visiblePartner(this.deps.store, caller, partnerId);
    const at = this.deps.clock.now().toISOString();
    await this.deps.store.savePartner({ ...current, deletedAt: at });
    const revoked = await this.deps.store.revokeOpenResets(partnerId, {}, at);
    await recordChange(this.deps, caller, 'api.partner.deleted', partnerId, `partner:${partnerId}`, { revokedResets: revoked });
  }

  private mayWrite(caller: ApiCaller, partnerId?: string): void {
    const restricted = caller.client.partnerId;
    if (!restricted) return;
    if (partnerId !== undefined && partnerId !== restricted) throw notFound('Partner');
    throw new AppError('FORBIDDEN', 403, 'A client restricted to one partner cannot create or change partners.');
  }

  private async stored(partnerId: string): Promise<Partner | undefined> {
    return (await this.deps.store.pagePartners({ limit: 1, ids: [partnerId], includeDeleted: true })).items[0];
  }

  /** A sign-in domain belongs to one partner: home-realm discovery must not send an admin to another company's IdP. */
  private async checked(partner: Partner): Promise<Partner> {
    const domains = [...new Set(partner.domains.map((d) => d.toLowerCase()))];
    const others = (await this.deps.store.listPartners()).filter((p) => p.id !== partner.id);
    const taken = domains.filter((d) => others.some((p) => p.domains.some((x) => x.toLowerCase() === d)));
    if (taken.length) throw conflict(`The sign-in domain ${taken.join(', ')} belongs to another partner.`);
    const { deletedAt: _restored, ...rest } = partner;
    return { ...rest, domains };
  }
}
