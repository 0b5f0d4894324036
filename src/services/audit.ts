import type { Clock, RequestContext, Store } from '../domain/ports.js';
import type { AuditEvent, AuditInput } from '../domain/types.js';

export class AuditLog {
  constructor(private readonly store: Store, private readonly clock: Clock) {}

  record(input: Omit<AuditInput, 'ip' | 'userAgent'>, ctx?: RequestContext): Promise<AuditEvent> {
    return this.store.appendAudit({ ...input, ...(ctx ? { ip: ctx.ip, userAgent: ctx.userAgent } : {}) }, this.clock.now().toISOString());
  }
}
