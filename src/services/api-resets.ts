import { AppError, notFound } from '../domain/errors.js';
import type { Clock, Store } from '../domain/ports.js';
import type { AdminUser, ResetRecord } from '../domain/types.js';
import { grants } from './api-clients.js';
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

/** A reset issued for out-of-band delivery: its status, and the live link, returned this once. */
export interface ResetWithLink extends ResetStatus {
  link: { url: string; expiresAt: string };
}

/** How the API delivers a new link: `mail` to the account, or `link` back to the caller. */
export type ApiDelivery = 'mail' | 'link';

/** Events that show the user reached the form: the link opened, or a correct code from the mail. */
const OPENED = new Set(['reset.opened', 'reset.code-accepted']);

/** Resets requested over the API go through the same ResetService as the console's "Reset password". */
export class ApiResetService {
  constructor(private readonly deps: { store: Store; reset: ResetService; clock: Clock }) {}

  /**
   * Issues a reset with the console's rate limits: the client counts as one admin
   * (`rateLimits.adminIssuePerAdmin`), the account as always (`issuePerAccount`). `mail` sends the
   * link to the account. `link` sends nothing (no mail, no code) and returns the link this once, for
   * a client holding `resets:link` and a partner that allows it (`outOfBandLinks`); audited as
   * delivered out of band.
   */
  async issue(caller: ApiCaller, partnerId: string, accountId: string, delivery: ApiDelivery = 'mail'): Promise<ResetStatus | ResetWithLink> {
    const partner = await visiblePartner(this.deps.store, caller, partnerId);
    if (delivery === 'link') {
      if (!grants(caller.client, 'resets:link')) throw new AppError('INSUFFICIENT_SCOPE', 403, 'Returning the link needs the scope resets:link.');
      if (!partner.outOfBandLinks) {
        throw new AppError('OUT_OF_BAND_NOT_ALLOWED', 403, `Partner ${partner.id} does not allow reset links to be returned; they are mailed. An unrestricted client can allow it with PATCH /partners/${partner.id} {"outOfBandLinks": true}.`);
      }
    }
    const account = await this.deps.store.getAccount(partnerId, accountId);
    if (!account) throw notFound('Account');
    const asAdmin: AdminUser = {
      sub: caller.client.id, connectionId: 'api', partnerId, email: actorOf(caller), name: caller.client.name, roles: [],
    };
    const issued = await this.deps.reset.issue(asAdmin, account.customerId, account.id, caller.ctx, delivery === 'link' ? 'out-of-band' : 'mail');
    const created = (await this.deps.store.listResets(partnerId, account.id)).find((r) => r.id === issued.resetId);
    if (!created) throw new Error('the reset that was just issued is not in the store');
    const status = await this.describe(created);
    if (delivery === 'mail') return status;
    if (!issued.link) throw new Error('an out-of-band reset came back without its link');
    return { ...status, link: { url: issued.link.url, expiresAt: issued.link.expiresAt.toISOString() } };
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
