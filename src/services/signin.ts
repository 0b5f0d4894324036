import { AppError } from '../domain/errors.js';
import type { RequestContext, Store } from '../domain/ports.js';
import type { AdminUser, Partner } from '../domain/types.js';
import type { AuditLog } from './audit.js';

export interface SignInAttempt {
  connectionId: string;
  partnerId: string;
  sub: string;
  email: string;
  name: string;
  roles: string[];
}

/** Decides whether an identity asserted by a partner's IdP may use the console. */
export class SignInService {
  constructor(private readonly store: Store, private readonly audit: AuditLog) {}

  /** Home-realm discovery: the partner whose verified domain matches the work email. */
  async partnerForEmail(email: string): Promise<Partner | undefined> {
    const domain = email.trim().toLowerCase().split('@')[1];
    if (!domain) return undefined;
    return (await this.store.listPartners()).find((p) => !p.disabled && p.domains.includes(domain));
  }

  async admit(attempt: SignInAttempt, ctx: RequestContext): Promise<AdminUser> {
    const partner = await this.store.getPartner(attempt.partnerId);
    const base = { type: 'admin.signin', actor: `admin:${attempt.email || attempt.sub}`, partnerId: attempt.partnerId, target: `connection:${attempt.connectionId}` } as const;
    if (!partner || partner.disabled) {
      await this.audit.record({ ...base, outcome: 'failure', detail: { reason: 'partner-disabled' } }, ctx);
      throw new AppError('PARTNER_DISABLED', 403, 'Your organisation does not have access to resetbridge at the moment. Ask your administrator.');
    }
    if (attempt.roles.length === 0) {
      await this.audit.record({ ...base, outcome: 'failure', detail: { reason: 'no-role' } }, ctx);
      throw new AppError('NO_ROLE', 403, 'You are signed in but have no access to resetbridge; ask your administrator.');
    }
    await this.store.upsertAdmin({
      partnerId: partner.id, connectionId: attempt.connectionId, sub: attempt.sub, email: attempt.email,
      name: attempt.name, roles: attempt.roles, lastSignInAt: new Date().toISOString(),
    });
    await this.audit.record({ ...base, outcome: 'success', detail: { roles: attempt.roles.join(' ') } }, ctx);
    return { sub: attempt.sub, connectionId: attempt.connectionId, partnerId: partner.id, email: attempt.email, name: attempt.name, roles: attempt.roles };
  }

  async failed(connectionId: string, partnerId: string, reason: string, ctx: RequestContext): Promise<void> {
    await this.audit.record({ type: 'admin.signin', outcome: 'failure', actor: 'anonymous', partnerId, target: `connection:${connectionId}`, detail: { reason } }, ctx);
  }

  /** `how`: 'user' (the Sign out button), 'idp' (Single Logout from the IdP), or why the session was ended. */
  async signedOut(admin: AdminUser, ctx: RequestContext, how = 'user'): Promise<void> {
    await this.audit.record({
      type: 'admin.signout', outcome: 'success', actor: `admin:${admin.email || admin.sub}`, partnerId: admin.partnerId,
      target: `connection:${admin.connectionId}`, detail: { reason: how },
    }, ctx);
  }

  /** A signed-in admin keeps access only while their partner is enabled. */
  async stillAllowed(admin: AdminUser): Promise<boolean> {
    const partner = await this.store.getPartner(admin.partnerId);
    return !!partner && !partner.disabled;
  }
}
