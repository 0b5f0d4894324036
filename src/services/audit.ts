import type { Clock, RequestContext, Store } from '../domain/ports.js';
import type { AuditEvent, AuditInput } from '../domain/types.js';

/** Every event worth auditing is also worth counting: listeners (metrics) see each one once it is stored. */
export type AuditListener = (event: AuditEvent) => void;

export class AuditLog {
  private readonly listeners: AuditListener[] = [];

  constructor(private readonly store: Store, private readonly clock: Clock) {}

  onEvent(listener: AuditListener): void {
    this.listeners.push(listener);
  }

  async record(input: Omit<AuditInput, 'ip' | 'userAgent'>, ctx?: RequestContext): Promise<AuditEvent> {
    const event = await this.store.appendAudit({ ...input, ...(ctx ? { ip: ctx.ip, userAgent: ctx.userAgent } : {}) }, this.clock.now().toISOString());
    for (const listener of this.listeners) listener(event);
    return event;
  }
}
