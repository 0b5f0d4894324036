import type { RateLimiter, RequestContext, Store } from '../domain/ports.js';
import type { Partner } from '../domain/types.js';
import type { AuditLog } from './audit.js';
import type { ResetService } from './reset.js';
import type { Logger } from '../sync/contract.js';

export type ForgotResult = { status: 'accepted' } | { status: 'throttled'; retryAfterSeconds: number };

/**
 * "Forgot your password?": the answer never depends on whether the account exists. The look-up,
 * the link and the mail all happen after the response, off the request path.
 */
export class SelfServiceService {
  private pending = new Set<Promise<void>>();

  constructor(
    private readonly deps: { store: Store; audit: AuditLog; reset: ResetService; limiter: RateLimiter; logger: Logger },
  ) {}

  /** The partner's self-service page exists only when the partner offers self-service. */
  async partner(partnerId: string): Promise<Partner | undefined> {
    const p = await this.deps.store.getPartner(partnerId);
    return p && !p.disabled && p.selfService ? p : undefined;
  }

  /** Generic entry: a partner code (its id) or one of its email domains. */
  async findPartner(codeOrDomain: string): Promise<Partner | undefined> {
    const v = codeOrDomain.trim().toLowerCase().replace(/^.*@/, '');
    if (!v) return undefined;
    const partners = await this.deps.store.listPartners();
    const p = partners.find((x) => x.id === v) ?? partners.find((x) => x.domains.includes(v));
    return p && !p.disabled && p.selfService ? p : undefined;
  }

  async request(partner: Partner, identifier: string, ctx: RequestContext): Promise<ForgotResult> {
    const byIp = await this.deps.limiter.consume('issuePerIp', ctx.ip);
    if (!byIp.allowed) return { status: 'throttled', retryAfterSeconds: byIp.retryAfterSeconds };
    const job = this.process(partner, identifier.slice(0, 320), ctx).catch((e: unknown) => {
      this.deps.logger.error({ partnerId: partner.id, err: (e as Error).message }, 'self-service request failed');
    });
    this.pending.add(job);
    void job.finally(() => this.pending.delete(job));
    return { status: 'accepted' };
  }

  /** Waits for requests still being processed (shutdown, tests). */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async process(partner: Partner, identifier: string, ctx: RequestContext): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    const { store, audit } = this.deps;
    const matches = await store.findAccountsByIdentifier(partner.id, identifier);
    const base = { type: 'reset.requested', actor: 'self-service', partnerId: partner.id } as const;
    if (matches.length !== 1) {
      await audit.record({ ...base, outcome: 'info', detail: { matched: matches.length } }, ctx);
      return;
    }
    const account = matches[0]!;
    const customer = await store.getCustomer(partner.id, account.customerId);
    if (!customer || !(customer.selfService ?? partner.selfService)) {
      await audit.record({ ...base, outcome: 'info', target: `account:${account.id}`, detail: { selfService: false } }, ctx);
      return;
    }
    const perAccount = await this.deps.limiter.consume('issuePerAccount', account.id);
    if (!perAccount.allowed) {
      await audit.record({ ...base, type: 'reset.throttled', outcome: 'failure', target: `account:${account.id}`, detail: { bucket: 'issuePerAccount' } }, ctx);
      return;
    }
    await this.deps.reset.issueSelfService({ partner, customer, account }, ctx);
  }
}
