import { notFound } from '../domain/errors.js';
import type { Clock, Store } from '../domain/ports.js';
import type { AdminUser, ResetRecord } from '../domain/types.js';
import { actorOf, visiblePartner, type ApiCaller } from './provisioning.js';
import type { ResetService } from './reset.js';

export type ResetState = 'issued' | 'opened' | 'redeemed' | 'expired' | 'revoked';

export interface ResetStatus {
  id: string;
  partnerId: string;
  customerId: string;
  accountId: string;
  flow: ResetRecord['flow'];
  status: ResetState;
  createdAt: string;
  expiresAt: string;
  openedAt?: string;
  redeemedAt?: string;
  revokedAt?: string;
  /** Per-target directory writes; null until the sync engine reports them here. */
  sync: null;
}

/** Events that show the user reached the form: the link opened, or a correct code from the mail. */
const OPENED = new Set(['reset.opened', 'reset.code-accepted']);

/** Resets requested over the API go through the same ResetService as the console's "Reset password". */
export class ApiResetService {
  constructor(private readonly deps: { store: Store; reset: ResetService; clock: Clock }) {}

  /**
   * Mails a reset link to the account, with the console's rate limits: the client counts as one
   * admin (`rateLimits.adminIssuePerAdmin`), the account as always (`issuePerAccount`).
   */
  async issue(caller: ApiCaller, partnerId: string, accountId: string): Promise<ResetStatus> {
    await visiblePartner(this.deps.store, caller, partnerId);
    const account = await this.deps.store.getAccount(partnerId, accountId);
    if (!account) throw notFound('Account');
    const started = this.deps.clock.now().toISOString();
    const asAdmin: AdminUser = {
      sub: caller.client.id, connectionId: 'api', partnerId, email: actorOf(caller), name: caller.client.name, roles: [],
    };
    await this.deps.reset.issue(asAdmin, account.customerId, account.id, caller.ctx);
    // ResetService does not return the new reset; it is the account's newest one since `started`
    // (one open link per account, so a racing second request can only make this one revoked).
    const created = (await this.deps.store.listResets(partnerId, account.id)).find((r) => r.createdAt >= started);
    if (!created) throw new Error('the reset that was just issued is not in the store');
    return this.describe(created);
  }

  async status(caller: ApiCaller, resetId: string): Promise<ResetStatus> {
    const reset = await this.deps.store.getReset(resetId, caller.client.partnerId);
    if (!reset) throw notFound('Reset');
    return this.describe(reset);
  }

  private async describe(r: ResetRecord): Promise<ResetStatus> {
    const events = await this.deps.store.listResetEvents(r.partnerId, r.id);
    const openedAt = events.find((e) => OPENED.has(e.type))?.at;
    const now = this.deps.clock.now().toISOString();
    const status: ResetState = r.consumedAt ? 'redeemed' : r.revokedAt ? 'revoked' : r.expiresAt <= now ? 'expired' : openedAt ? 'opened' : 'issued';
    return {
      id: r.id, partnerId: r.partnerId, customerId: r.customerId, accountId: r.accountId, flow: r.flow, status,
      createdAt: r.createdAt, expiresAt: r.expiresAt,
      ...(openedAt ? { openedAt } : {}), ...(r.consumedAt ? { redeemedAt: r.consumedAt } : {}), ...(r.revokedAt ? { revokedAt: r.revokedAt } : {}),
      sync: null,
    };
  }
}
