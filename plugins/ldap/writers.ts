// How each kind of directory takes a new password. The adapter opens the session and maps failures;
// these only say which LDAP operations to send.
import type { PolicyHints } from '../../src/sync/contract.js';
import { PASSWORD_MODIFY_OID, PasswordPolicyControl, passwordModifyRequest } from './ber.js';
import { firstValue } from './client.js';
import type { LdapSession } from './client.js';
import type { ResolvedConfig } from './config.js';

export interface PasswordWriter {
  /** An administrator's reset: no old password, the account's own history and quality rules still apply where the server applies them. */
  reset(s: LdapSession, dn: string, password: string, mustChange: boolean, ppolicy?: PasswordPolicyControl): Promise<void>;
  /** The user's own change: the server checks the current password. */
  change(s: LdapSession, dn: string, current: string, next: string, ppolicy?: PasswordPolicyControl): Promise<void>;
  hints(s: LdapSession): Promise<PolicyHints>;
}

export function writerFor(cfg: ResolvedConfig): PasswordWriter {
  return cfg.mode === 'active-directory' ? activeDirectory : openldap(cfg);
}

const controls = (ppolicy?: PasswordPolicyControl) => (ppolicy ? [ppolicy] : []);

function openldap(cfg: ResolvedConfig): PasswordWriter {
  return {
    async reset(s, dn, password, mustChange, ppolicy) {
      if (cfg.passwordMethod === 'exop') {
        // RFC 3062: the server hashes with its own scheme and ppolicy sees the clear text, so quality checks work.
        await s.exop(PASSWORD_MODIFY_OID, passwordModifyRequest(dn, password), controls(ppolicy));
      } else {
        await s.modify(dn, [{ operation: 'replace', type: 'userPassword', values: [password] }], controls(ppolicy));
      }
      // Without mustChange the policy's own pwdMustChange decides, as for any administrator's reset.
      if (mustChange) await s.modify(dn, [{ operation: 'replace', type: 'pwdReset', values: ['TRUE'] }]);
    },
    async change(s, dn, current, next, ppolicy) {
      if (cfg.passwordMethod === 'exop') {
        await s.exop(PASSWORD_MODIFY_OID, passwordModifyRequest(dn, next, current), controls(ppolicy));
      } else {
        // Delete the old value and add the new one in one modify: what pwdSafeModify asks for.
        await s.modify(dn, [
          { operation: 'delete', type: 'userPassword', values: [current] },
          { operation: 'add', type: 'userPassword', values: [next] },
        ], controls(ppolicy));
      }
    },
    async hints(s) {
      if (!cfg.policyDn) return {};
      const [policy] = await s.search(cfg.policyDn, { scope: 'base', attributes: ['pwdMinLength', 'pwdMaxLength'] });
      return policy ? lengths(firstValue(policy, 'pwdMinLength'), firstValue(policy, 'pwdMaxLength')) : {};
    },
  };
}

/** AD takes a password only as the UTF-16LE bytes of the password in double quotes, and only over an encrypted connection. */
export const quotedUnicode = (password: string): Buffer => Buffer.from(`"${password}"`, 'utf16le');

const activeDirectory: PasswordWriter = {
  async reset(s, dn, password, mustChange) {
    await s.modify(dn, [
      { operation: 'replace', type: 'unicodePwd', values: [quotedUnicode(password)] },
      // 0 = "must change at next logon"; a plain reset sets it to now on its own.
      ...(mustChange ? [{ operation: 'replace' as const, type: 'pwdLastSet', values: ['0'] }] : []),
    ]);
  },
  async change(s, dn, current, next) {
    // One modify that deletes the old quoted value and adds the new: AD's "change", checked against history.
    await s.modify(dn, [
      { operation: 'delete', type: 'unicodePwd', values: [quotedUnicode(current)] },
      { operation: 'add', type: 'unicodePwd', values: [quotedUnicode(next)] },
    ]);
  },
  async hints(s) {
    const [root] = await s.search('', { scope: 'base', attributes: ['defaultNamingContext'] });
    const domain = root && firstValue(root, 'defaultNamingContext');
    if (!domain) return {};
    const [entry] = await s.search(domain, { scope: 'base', attributes: ['minPwdLength'] });
    return entry ? lengths(firstValue(entry, 'minPwdLength'), undefined) : {};
  },
};

function lengths(min: string | undefined, max: string | undefined): PolicyHints {
  const n = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : undefined);
  const minLength = n(min);
  const maxLength = n(max);
  return { ...(minLength ? { minLength } : {}), ...(maxLength ? { maxLength } : {}) };
}
