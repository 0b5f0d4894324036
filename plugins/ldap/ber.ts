// The two BER structures ldapts has no helper for: the Password Modify request (RFC 3062) and the
// password-policy control (draft-behera-ldap-password-policy) whose response says why ppolicy refused.
import { BerWriter, Control } from 'ldapts';
import type { BerReader } from 'ldapts';

export const PASSWORD_MODIFY_OID = '1.3.6.1.4.1.4203.1.11.1';
export const PPOLICY_OID = '1.3.6.1.4.1.42.2.27.8.5.1';

/**
 * PasswdModifyRequestValue ::= SEQUENCE {
 *   userIdentity [0] OCTET STRING OPTIONAL, oldPasswd [1] OCTET STRING OPTIONAL, newPasswd [2] OCTET STRING OPTIONAL }
 * An admin reset leaves out oldPasswd; a user's own change carries it.
 */
export function passwordModifyRequest(userDn: string, newPassword: string, oldPassword?: string): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeString(userDn, 0x80);
  if (oldPassword !== undefined) w.writeString(oldPassword, 0x81);
  w.writeString(newPassword, 0x82);
  w.endSequence();
  return w.buffer;
}

/** ppolicy's error enum, in order (0–9). 9 (passwordTooLong) exists in newer servers only. */
export const PPOLICY_ERRORS = [
  'passwordExpired', 'accountLocked', 'changeAfterReset', 'passwordModNotAllowed', 'mustSupplyOldPassword',
  'insufficientPasswordQuality', 'passwordTooShort', 'passwordTooYoung', 'passwordInHistory', 'passwordTooLong',
] as const;

/**
 * Sent without a value; ldapts hands the server's response control of the same OID back to this
 * instance's parseControl, so after the operation `error` holds ppolicy's verdict (if it gave one).
 * Use a fresh instance per operation.
 */
export class PasswordPolicyControl extends Control {
  /** ppolicy's error number from the response, when there was one. */
  error?: number;

  constructor() {
    super(PPOLICY_OID, { critical: false });
  }

  /**
   * PasswordPolicyResponseValue ::= SEQUENCE {
   *   warning [0] CHOICE { timeBeforeExpiration [0] INTEGER, graceAuthNsRemaining [1] INTEGER } OPTIONAL,
   *   error   [1] ENUMERATED OPTIONAL }
   */
  protected override parseControl(reader: BerReader): void {
    if (reader.readSequence(0x30) === null) return;
    const end = reader.offset + reader.length;
    while (reader.offset < end) {
      const tag = reader.peek();
      if (tag === 0x81) {
        const value = reader.readTag(0x81);
        if (value !== null) this.error = value;
      } else if (tag === 0xa0) {
        // A warning (expiry or grace logins) concerns the bound identity, not the change: skip it.
        reader.readSequence(0xa0);
        reader.offset += reader.length;
      } else {
        return;
      }
    }
  }
}
