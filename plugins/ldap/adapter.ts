// The ldap adapter: finds accounts under the base DN and writes passwords as the delegated service account.
import { ConfigurationError, PolicyRejectedError, UserNotFoundError } from '../../src/sync/contract.js';
import type {
  AccountRef, Adapter, Capabilities, DirectoryAccount, Health, PluginContext, PolicyHints, SetPasswordOptions, SetPasswordResult,
} from '../../src/sync/contract.js';
import { PasswordPolicyControl } from './ber.js';
import { LdapSession, firstValue } from './client.js';
import { resolveConfig } from './config.js';
import type { LdapConfig, ResolvedConfig } from './config.js';
import { ldapResult, toAdapterError } from './errors.js';
import { isUnder, renderFilter } from './filter.js';
import { USER_WORDS } from './messages.js';
import { writerFor } from './writers.js';

export interface LdapAdapter extends Adapter {
  /**
   * The user's own change (delete old + add new on AD, Password Modify with oldPasswd on OpenLDAP):
   * the server checks the current password and, unlike an administrator's reset, always the history.
   */
  changePassword(account: DirectoryAccount, currentPassword: string, newPassword: string): Promise<SetPasswordResult>;
}

const capabilities: Capabilities = { setPassword: true, policyHints: true, mustChangeFlag: true, setRevokesSessions: 'none' };
const HINTS_TTL_MS = 5 * 60_000;
const TRANSPORT_WORDS = { ldaps: 'LDAPS', starttls: 'StartTLS', plain: 'plain LDAP (unencrypted)' };

export function createLdapAdapter(config: LdapConfig, ctx: Pick<PluginContext, 'clock' | 'logger'>): LdapAdapter {
  const cfg = resolveConfig(config);
  const writer = writerFor(cfg);
  let cachedHints: { at: number; hints: PolicyHints } | undefined;
  if (cfg.connection.transport === 'plain') {
    ctx.logger.warn({ url: cfg.connection.url }, 'allowPlainLdap is set: the service password and new passwords cross the network unencrypted (tests only)');
  }

  /** Opens a session bound as the service account, runs the work, maps any failure, always closes. */
  async function asService<T>(
    work: (s: LdapSession) => Promise<T>, secrets: string[] = [], ppolicy?: PasswordPolicyControl, change = false,
  ): Promise<T> {
    const session = new LdapSession(cfg.connection);
    try {
      await session.secure();
      await session.bind(cfg.bindDn, cfg.bindPassword);
      return await work(session);
    } catch (e) {
      throw toAdapterError(e, { stage: session.stage, mode: cfg.mode, change, secrets: [cfg.bindPassword, ...secrets], ...ppolicyError(ppolicy) });
    } finally {
      await session.close();
    }
  }

  function target(account: DirectoryAccount): string {
    // An id from outside the configured tree is no account of this instance, and must not steer a write elsewhere.
    if (!isUnder(account.targetUserId, cfg.baseDn)) {
      throw new UserNotFoundError('The account is not an entry under the configured base DN.', { safeDiagnostic: 'target outside baseDn' });
    }
    return account.targetUserId;
  }

  return {
    capabilities,

    async testConnection(): Promise<Health> {
      try {
        await asService((s) => s.search(cfg.baseDn, { scope: 'base', attributes: ['1.1'] }));
        return { ok: true, message: `Signed in as the service account over ${TRANSPORT_WORDS[cfg.connection.transport]} and read the base DN.` };
      } catch (e) {
        const err = toAdapterError(e, { stage: 'connect', mode: cfg.mode, secrets: [cfg.bindPassword] });
        return { ok: false, message: `${err.message}${err.safeDiagnostic ? ` [${err.safeDiagnostic}]` : ''}` };
      }
    },

    resolveAccount: (ref: AccountRef) => asService((s) => find(s, cfg, ref)),

    async setPassword(account, password, opts: SetPasswordOptions): Promise<SetPasswordResult> {
      const dn = target(account);
      if (password === '') throw new PolicyRejectedError([{ reason: 'TOO_SHORT', message: USER_WORDS.TOO_SHORT }]);
      const ppolicy = cfg.ppolicyControl ? new PasswordPolicyControl() : undefined;
      try {
        await asService((s) => writer.reset(s, dn, password, opts.mustChange === true, ppolicy), [password], ppolicy);
      } catch (e) {
        // ppolicy and AD count the current password as history: on a retry that means the first attempt landed.
        if (opts.isRetry && isInHistory(e)) return { applied: 'probable', sessionsRevoked: 'none' };
        throw e;
      }
      return { applied: true, sessionsRevoked: 'none' };
    },

    async changePassword(account, currentPassword, newPassword) {
      const dn = target(account);
      const ppolicy = cfg.ppolicyControl ? new PasswordPolicyControl() : undefined;
      await asService((s) => writer.change(s, dn, currentPassword, newPassword, ppolicy), [currentPassword, newPassword], ppolicy, true);
      return { applied: true, sessionsRevoked: 'none' };
    },

    async verifyPassword(account, password) {
      // An empty password would be an unauthenticated bind, which LDAP servers accept (RFC 4513 §5.1.2).
      if (password === '' || !isUnder(account.targetUserId, cfg.baseDn)) return false;
      const session = new LdapSession(cfg.connection);
      try {
        await session.secure();
        await session.bind(account.targetUserId, password);
        return true;
      } catch (e) {
        const result = ldapResult(e);
        // AD: right password, but it must be changed (773) or has expired (532).
        if (result?.code === 49) return cfg.mode === 'active-directory' && /\bdata (773|532)\b/i.test(result.diagnostic);
        throw toAdapterError(e, { stage: session.stage, mode: cfg.mode, secrets: [password] });
      } finally {
        await session.close();
      }
    },

    async policyHints() {
      const now = ctx.clock.now().getTime();
      if (cachedHints && now - cachedHints.at < HINTS_TTL_MS) return cachedHints.hints;
      const hints = await asService((s) => writer.hints(s));
      cachedHints = { at: now, hints };
      return hints;
    },
  };
}

async function find(s: LdapSession, cfg: ResolvedConfig, ref: AccountRef): Promise<DirectoryAccount | null> {
  if (ref.value === '') return null;
  let entries;
  if (ref.by === 'id') {
    if (!isUnder(ref.value, cfg.baseDn)) return null;
    try {
      entries = await s.search(ref.value, { scope: 'base', attributes: [cfg.nameAttribute] });
    } catch (e) {
      const code = ldapResult(e)?.code;
      if (code === 32 || code === 34) return null;
      throw e;
    }
  } else {
    const template = cfg.filters[ref.by];
    if (!template) throw new ConfigurationError(`Unknown lookup key "${String(ref.by)}".`, { reason: 'BAD_TARGET_CONFIG' });
    // Two are enough to tell "exactly one" from "ambiguous".
    entries = await s.search(cfg.baseDn, { scope: 'sub', filter: renderFilter(template, ref.value), attributes: [cfg.nameAttribute], sizeLimit: 2 });
  }
  if (entries.length > 1) {
    throw new ConfigurationError('More than one directory entry matches this account.', {
      reason: 'AMBIGUOUS_USER', safeDiagnostic: `several entries match by ${ref.by}`,
    });
  }
  const entry = entries[0];
  return entry ? { targetUserId: entry.dn, canonicalName: firstValue(entry, cfg.nameAttribute) ?? entry.dn } : null;
}

function ppolicyError(control: PasswordPolicyControl | undefined): { ppolicyError?: number } {
  return control?.error !== undefined ? { ppolicyError: control.error } : {};
}

function isInHistory(e: unknown): boolean {
  return e instanceof PolicyRejectedError && e.violations.some((v) => v.reason === 'IN_HISTORY');
}
