import { notFound } from '../domain/errors.js';
import type { Store } from '../domain/ports.js';
import type { AuditEvent } from '../domain/types.js';
import type { ApiCaller } from './provisioning.js';

/** The audit chain for `audit:read` clients: their partner's events, or all (or one partner's) for an unrestricted client. */
export class ApiAuditService {
  constructor(private readonly store: Store) {}

  async list(caller: ApiCaller, req: { partnerId?: string; afterSeq?: number; limit: number }): Promise<{ items: AuditEvent[]; next: number | null }> {
    const restricted = caller.client.partnerId;
    if (restricted && req.partnerId !== undefined && req.partnerId !== restricted) throw notFound('Partner');
    const partnerId = restricted ?? req.partnerId;
    // One more than asked, to know whether a next page exists.
    const slice = await this.store.queryAudit({ ...(partnerId !== undefined ? { partnerId } : {}), afterSeq: req.afterSeq ?? 0, limit: req.limit + 1 });
    const items = slice.slice(0, req.limit);
    return { items, next: slice.length > req.limit ? items[items.length - 1]!.seq : null };
  }
}
