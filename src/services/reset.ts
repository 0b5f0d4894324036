import { createHmac, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { maskEmail } from '../domain/mask.js';
import { checkPassword, requirements, type Blocklist, type PolicyMessage, type PolicySettings } from '../domain/policy.js';
import type { BreachedPasswords, Clock, Notifier, RateLimiter, RequestContext, Store } from '../domain/ports.js';
import { hashToken, looksLikeToken, newToken } from '../domain/tokens.js';
import { pickLocale } from '../i18n/locales.js';
import type { Account, AdminUser, Customer, Partner, ResetFlow, ResetRecord } from '../domain/types.js';
import type { AdminService } from './admin.js';
import type { AuditLog } from './audit.js';
import type { SyncService } from './sync.js';

export interface ResetSettings {
  publicUrl: string;
  adminTtlSeconds: number;
  selfServiceTtlSeconds: number;
  claimSeconds: number;
  policy: PolicySettings;
  /** Key for the HMAC of mailed codes: a stolen data file does not give the codes away. */
  codeKey: Buffer;
  /** Key for the HMAC that tells a resubmitted password from a different one without keeping either. */
  attemptKey: Buffer;
}

const CODE_ATTEMPTS = 5;

export type CodeResult = { status: 'ok'; token: string } | { status: 'wrong' } | { status: 'throttled'; retryAfterSeconds: number };

export interface ResetPageData {
  /** Whose link it is: the page's brand is the company's. */
  partnerId: string;
  customerId: string;
  login: string;
  accountName: string;
  companyName: string;
  partnerName: string;
  requirements: PolicyMessage[];
  minLength: number;
  maxLength: number;
  /** The stored language choices, most specific first: account, company, partner. */
  localePreferences: string[];
  /** The account's time zone, when known. */
  timeZone?: string;
  /** When the link stops working (ISO). */
  expiresAt: string;
}

export type OpenResult =
  | { status: 'ok'; page: ResetPageData }
  /** `owner`: whose link it was, when it is one (used, revoked or expired): its page keeps their brand. */
  | { status: 'invalid'; owner?: { partnerId: string; customerId: string } }
  | { status: 'throttled'; retryAfterSeconds: number };

export type RedeemResult =
  | { status: 'invalid' }
  | { status: 'rejected'; problems: PolicyMessage[]; page: ResetPageData }
  | { status: 'busy'; page?: ResetPageData }
  | { status: 'throttled'; retryAfterSeconds: number }
  | { status: 'unreachable'; page: ResetPageData }
  | { status: 'failed'; page: ResetPageData }
  /** The primary may or may not have taken it (a timeout after sending): only the same password may try again. */
  | { status: 'uncertain'; page: ResetPageData }
  /** A different password after an attempt whose outcome is unknown: refused, the link cannot set a second one. */
  | { status: 'unconfirmed'; page?: ResetPageData }
  /** `reach`: whether the secondary directories have it yet, will get it shortly, or wait for an administrator. */
  | { status: 'changed'; reach: 'everywhere' | 'pending' | 'incomplete'; page?: ResetPageData };

interface Loaded { reset: ResetRecord; account: Account; customer: Customer; partner: Partner }

/**
 * How a new link reaches the user: mailed to the account (with the code), or handed back to the
 * caller once (the API's out-of-band delivery: no mail, and no code, since nobody would receive it).
 */
export type LinkDelivery = 'mail' | 'out-of-band';

export interface Issued {
  maskedEmail: string;
  resetId: string;
  /** Out-of-band delivery only: the live link. The caller hands it on and keeps it nowhere. */
  link?: { url: string; expiresAt: Date };
}

export class ResetService {
  constructor(
    private readonly deps: {
      store: Store;
      clock: Clock;
      audit: AuditLog;
      admin: AdminService;
      notifier: Notifier;
      sync: SyncService;
      blocklist: Blocklist;
      limiter: RateLimiter;
      settings: ResetSettings;
      breached?: { service: BreachedPasswords; onError: 'allow' | 'reject' };
    },
  ) {}

  /** Notice shown before an admin confirms a reset. */
  async notice(admin: AdminUser, customerId: string, accountId: string) {
    const { customer, account } = await this.deps.admin.getAccount(admin, customerId, accountId);
    return { customer, account, maskedEmail: maskEmail(account.email), ttlHours: Math.round(this.deps.settings.adminTtlSeconds / 3600) };
  }

  async issue(admin: AdminUser, customerId: string, accountId: string, ctx: RequestContext, delivery: LinkDelivery = 'mail'): Promise<Issued> {
    const { store, limiter } = this.deps;
    const { customer, account } = await this.deps.admin.getAccount(admin, customerId, accountId);
    const partner = await store.getPartner(admin.partnerId);
    if (!partner) throw new AppError('NOT_FOUND', 404, 'Account not found.');
    for (const [bucket, key] of [['adminIssuePerAdmin', `${admin.connectionId}:${admin.sub}`], ['issuePerAccount', account.id]] as const) {
      const decision = await limiter.consume(bucket, key);
      if (!decision.allowed) {
        await this.deps.audit.record({ type: 'reset.throttled', outcome: 'failure', actor: `admin:${admin.email}`, partnerId: partner.id, target: `account:${account.id}`, detail: { bucket } }, ctx);
        throw new AppError('RATE_LIMITED', 429, `Too many password resets were sent just now. Try again in ${Math.ceil(decision.retryAfterSeconds / 60)} minutes.`);
      }
    }
    const created = await this.create({ partner, customer, account }, 'admin', `admin:${admin.email}`, ctx, delivery);
    return { maskedEmail: maskEmail(account.email), ...created };
  }

  /** Issues a self-service link; the caller has already decided that the account may have one. */
  async issueSelfService(target: { partner: Partner; customer: Customer; account: Account }, ctx: RequestContext): Promise<void> {
    await this.create(target, 'self-service', 'self-service', ctx);
  }

  private async create(
    { partner, customer, account }: { partner: Partner; customer: Customer; account: Account },
    flow: ResetFlow, actor: string, ctx: RequestContext, delivery: LinkDelivery = 'mail',
  ): Promise<Pick<Issued, 'resetId' | 'link'>> {
    const { store, clock, settings } = this.deps;
    const token = newToken();
    const now = clock.now();
    const ttl = flow === 'admin' ? settings.adminTtlSeconds : settings.selfServiceTtlSeconds;
    const expiresAt = new Date(now.getTime() + ttl * 1000);
    const id = randomUUID();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const reset: ResetRecord = {
      id, partnerId: partner.id, customerId: customer.id, accountId: account.id, tokenHash: hashToken(token),
      ...(delivery === 'mail' ? { codeHash: this.codeHash(id, code) } : {}), codeAttempts: 0,
      flow, createdAt: now.toISOString(), expiresAt: expiresAt.toISOString(), createdBy: actor,
    };
    await store.createReset(reset);
    await this.deps.audit.record({
      type: 'reset.issued', outcome: 'success', actor, partnerId: partner.id,
      target: `account:${account.id}`, detail: { resetId: reset.id, customerId: customer.id, flow, delivery },
    }, ctx);
    if (delivery === 'out-of-band') return { resetId: id, link: { url: `${this.base}/reset/${token}`, expiresAt } };
    await this.deps.notifier.resetLink({
      to: account.email, accountName: account.name, login: account.login, partnerName: partner.name,
      companyName: customer.name, url: `${this.base}/reset/${token}`, expiresAt, flow,
      code: `${code.slice(0, 3)} ${code.slice(3)}`, codeUrl: `${this.base}/reset/code`,
      // An admin's browser says nothing about the user's language; the requester's own browser does.
      ...mailLanguage(account, customer, partner, flow === 'self-service' ? ctx.acceptLanguage : undefined),
    }, partner.id, account.id);
    return { resetId: id };
  }

  private get base(): string {
    return this.deps.settings.publicUrl.replace(/\/$/, '');
  }

  private codeHash(resetId: string, code: string): string {
    return createHmac('sha256', this.deps.settings.codeKey).update(`${resetId}:${code}`).digest('hex');
  }

  /**
   * "Enter the code from your email": a correct code for an open reset of that address hands out a
   * fresh token that opens the same form. Five wrong codes disable the code (the link still works).
   */
  async redeemCode(email: string, code: string, ctx: RequestContext): Promise<CodeResult> {
    const decision = await this.deps.limiter.consume('redeemPerIp', ctx.ip);
    if (!decision.allowed) return { status: 'throttled', retryAfterSeconds: decision.retryAfterSeconds };
    const digits = code.replace(/\D/g, '');
    const now = this.deps.clock.now().toISOString();
    const candidates = (await this.deps.store.findOpenResetsByEmail(email.slice(0, 320)))
      .filter((r) => r.codeHash && (r.codeAttempts ?? 0) < CODE_ATTEMPTS && r.expiresAt > now);
    for (const r of candidates) {
      const expected = Buffer.from(r.codeHash!, 'hex');
      if (digits.length === 6 && timingSafeEqual(expected, Buffer.from(this.codeHash(r.id, digits), 'hex'))) {
        const token = newToken();
        await this.deps.store.setAltTokenHash(r.id, hashToken(token));
        await this.deps.audit.record({ type: 'reset.code-accepted', outcome: 'success', actor: `account:${r.accountId}`, partnerId: r.partnerId, target: `account:${r.accountId}`, detail: { resetId: r.id } }, ctx);
        return { status: 'ok', token };
      }
    }
    for (const r of candidates) {
      const attempts = await this.deps.store.recordCodeFailure(r.id);
      await this.deps.audit.record({ type: 'reset.code-rejected', outcome: 'failure', actor: `account:${r.accountId}`, partnerId: r.partnerId, target: `account:${r.accountId}`, detail: { resetId: r.id, attempts } }, ctx);
    }
    return { status: 'wrong' };
  }

  /**
   * What the hosted page shows for a link. Changes nothing but the audit trail (mail scanners
   * fetch links too); each opening is audited, so openings are throttled per link and per IP.
   */
  async open(token: string, ctx: RequestContext): Promise<OpenResult> {
    if (!looksLikeToken(token)) return { status: 'invalid' };
    const perIp = await this.deps.limiter.consume('openPerIp', ctx.ip);
    if (!perIp.allowed) return { status: 'throttled', retryAfterSeconds: perIp.retryAfterSeconds };
    // Counted per link only for links there are (an unknown one writes nothing), so made-up tokens
    // cannot fill the limiter with counters of their own.
    const reset = await this.deps.store.findResetByHash(hashToken(token));
    if (!reset) return { status: 'invalid' };
    const perLink = await this.deps.limiter.consume('openPerToken', reset.id);
    if (!perLink.allowed) return { status: 'throttled', retryAfterSeconds: perLink.retryAfterSeconds };
    const loaded = await this.loadFound(reset, ctx);
    if (!loaded) return { status: 'invalid', owner: { partnerId: reset.partnerId, customerId: reset.customerId } };
    await this.deps.audit.record({
      type: 'reset.opened', outcome: 'info', actor: `account:${loaded.account.id}`, partnerId: loaded.reset.partnerId,
      target: `account:${loaded.account.id}`, detail: { resetId: loaded.reset.id },
    }, ctx);
    return { status: 'ok', page: this.page(loaded, await this.deps.sync.policyFor(loaded.customer, this.deps.settings.policy)) };
  }

  async redeem(token: string, password: string, confirm: string, ctx: RequestContext): Promise<RedeemResult> {
    const { store, clock, settings, audit } = this.deps;
    for (const [bucket, key] of [['redeemPerIp', ctx.ip], ['redeemPerToken', hashToken(token)]] as const) {
      const decision = await this.deps.limiter.consume(bucket, key);
      if (!decision.allowed) return { status: 'throttled', retryAfterSeconds: decision.retryAfterSeconds };
    }
    const loaded = await this.load(token, ctx);
    if (!loaded) return { status: 'invalid' };
    const { reset, account, customer, partner } = loaded;
    // Every bound directory's declared rules count before any directory is touched.
    const rules = await this.deps.sync.policyFor(customer, settings.policy);
    const page = this.page(loaded, rules);
    const base = { actor: `account:${account.id}`, partnerId: reset.partnerId, target: `account:${account.id}` } as const;

    const policy = checkPassword(password, confirm, rules, {
      login: account.login, email: account.email, companyName: customer.name, partnerName: partner.name,
    }, this.deps.blocklist);
    if (!policy.ok) {
      await audit.record({ ...base, type: 'reset.rejected', outcome: 'failure', detail: { resetId: reset.id, by: 'local-policy' } }, ctx);
      return { status: 'rejected', problems: policy.problems, page };
    }
    const breachProblem = await this.breachProblem(password);
    if (breachProblem) {
      await audit.record({ ...base, type: 'reset.rejected', outcome: 'failure', detail: { resetId: reset.id, by: 'breached-passwords' } }, ctx);
      return { status: 'rejected', problems: [breachProblem], page };
    }

    const now = clock.now();
    const fingerprint = this.fingerprint(reset.id, password);
    const claimed = await store.claimReset(reset.tokenHash, now.toISOString(), new Date(now.getTime() + settings.claimSeconds * 1000).toISOString(),
      { id: randomUUID(), fingerprint, startedAt: now.toISOString() });
    if (!claimed) return { status: 'busy', page };
    // The claim keeps an earlier submit's attempt when one is pending: its outcome is unknown, so
    // only that same password may go on, as a retry; another one could leave two passwords around.
    const attempt = claimed.pendingAttempt;
    if (!attempt || !sameHex(attempt.fingerprint, fingerprint)) {
      await store.releaseReset(reset.id);
      await audit.record({ ...base, type: 'reset.refused', outcome: 'failure', detail: { resetId: reset.id, reason: 'earlier-attempt-unconfirmed', ...(attempt ? { syncId: attempt.id } : {}) } }, ctx);
      return { status: 'unconfirmed', page };
    }

    const primary = await this.deps.sync.writePrimary({ attempt, reset, customer, account, password, ctx });
    if (primary.kind !== 'applied') {
      const unknown = primary.kind === 'transient' && primary.outcomeUnknown;
      await store.releaseReset(reset.id, { clearAttempt: !unknown });
      await audit.record({
        ...base, type: 'sync.failed', outcome: 'failure',
        detail: { resetId: reset.id, syncId: attempt.id, class: primary.kind, instance: customer.directory?.instance ?? '(none)', ...(unknown ? { outcomeUnknown: true } : {}) },
      }, ctx);
      if (primary.kind === 'policy') return { status: 'rejected', problems: directoryProblems(primary.reasons), page };
      if (unknown) return { status: 'uncertain', page };
      return primary.kind === 'transient' ? { status: 'unreachable', page } : { status: 'failed', page };
    }

    const at = clock.now();
    // False only when the link was closed while this submit wrote; the primary has the password all
    // the same, so the secondaries get it too and the user hears the truth.
    const consumed = await store.consumeReset(reset.id, at.toISOString());
    await store.setAccountLastReset(reset.partnerId, account.id, at.toISOString());
    await audit.record({ ...base, type: 'reset.redeemed', outcome: 'success', detail: { resetId: reset.id, syncId: attempt.id, ...(consumed ? {} : { linkClosedMeanwhile: true }) } }, ctx);
    const reach = await this.deps.sync.fanOut(primary.sync, primary.leaseId, account, password);
    await this.deps.notifier.passwordChanged({
      to: account.email, accountName: account.name, login: account.login, partnerName: partner.name,
      companyName: customer.name, at, ip: ctx.ip,
      ...mailLanguage(account, customer, partner, ctx.acceptLanguage),
    }, reset.partnerId, account.id);
    return { status: 'changed', reach, page };
  }

  private fingerprint(resetId: string, password: string): string {
    return createHmac('sha256', this.deps.settings.attemptKey).update(resetId).update('\0').update(password).digest('hex');
  }

  private async breachProblem(password: string): Promise<PolicyMessage | undefined> {
    const breached = this.deps.breached;
    if (!breached) return undefined;
    const verdict = await breached.service.check(password);
    if (verdict === 'breached') return { key: 'policy:problem.breached' };
    if (verdict === 'unknown' && breached.onError === 'reject') return { key: 'policy:problem.breachUnknown' };
    return undefined;
  }

  private async load(token: string, ctx: RequestContext): Promise<Loaded | undefined> {
    if (!looksLikeToken(token)) return undefined;
    const reset = await this.deps.store.findResetByHash(hashToken(token));
    return reset ? this.loadFound(reset, ctx) : undefined;
  }

  private async loadFound(reset: ResetRecord, ctx: RequestContext): Promise<Loaded | undefined> {
    const { store, clock } = this.deps;
    if (reset.consumedAt || reset.revokedAt) return undefined;
    if (reset.expiresAt <= clock.now().toISOString()) {
      await this.deps.audit.record({
        type: 'reset.expired', outcome: 'failure', actor: `account:${reset.accountId}`, partnerId: reset.partnerId,
        target: `account:${reset.accountId}`, detail: { resetId: reset.id },
      }, ctx);
      return undefined;
    }
    const account = await store.getAccount(reset.partnerId, reset.accountId);
    const customer = await store.getCustomer(reset.partnerId, reset.customerId);
    const partner = await store.getPartner(reset.partnerId);
    if (!account || !customer || !partner) return undefined;
    return { reset, account, customer, partner };
  }

  private page({ reset, account, customer, partner }: Loaded, policy: PolicySettings): ResetPageData {
    return {
      partnerId: reset.partnerId, customerId: reset.customerId,
      localePreferences: localePreferences(account, customer, partner), expiresAt: reset.expiresAt,
      ...(account.timeZone ? { timeZone: account.timeZone } : {}),
      login: account.login, accountName: account.name, companyName: customer.name, partnerName: partner.name,
      requirements: requirements(policy), minLength: policy.minLength, maxLength: policy.maxLength,
    };
  }
}

/** Stored language choices, most specific first (the order pages and mails follow). */
function localePreferences(account: Account, customer: Customer, partner: Partner): string[] {
  return [account.locale, customer.defaultLocale, partner.defaultLocale].filter((l): l is string => !!l);
}

function mailLanguage(account: Account, customer: Customer, partner: Partner, acceptLanguage?: string) {
  return {
    locale: pickLocale(localePreferences(account, customer, partner), acceptLanguage),
    ...(account.timeZone ? { timeZone: account.timeZone } : {}),
  };
}

const DIRECTORY_REASONS = new Set([
  'TOO_SHORT', 'TOO_LONG', 'MISSING_UPPER', 'MISSING_LOWER', 'MISSING_DIGIT', 'MISSING_SPECIAL',
  'CONTAINS_USER_INFO', 'IN_HISTORY', 'TOO_YOUNG', 'DICTIONARY_OR_BANNED', 'PATTERN', 'WRONG_CURRENT_PASSWORD',
]);

/** A directory's refusal by its reason codes: the user reads it in their language, never the server's words. */
function directoryProblems(reasons: string[] | undefined): PolicyMessage[] {
  const known = [...new Set((reasons ?? []).filter((r) => DIRECTORY_REASONS.has(r)))];
  return (known.length ? known : ['GENERIC']).map((r) => ({ key: `policy:directory.${r}` }));
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
