// The ldap plugin's configuration: what an operator writes (input) and what the adapter runs on (resolved).
import { FilterParser } from 'ldapts';
import { z } from '../../src/sync/contract.js';

export type Mode = 'openldap' | 'active-directory';
export type LookupKey = 'login' | 'email' | 'externalId';

/** The sub-tree filters each mode searches with; `{value}` is replaced by the RFC 4515-escaped value. */
export const DEFAULT_FILTERS: Record<Mode, Record<LookupKey, string>> = {
  openldap: {
    login: '(&(objectClass=inetOrgPerson)(uid={value}))',
    email: '(&(objectClass=inetOrgPerson)(mail={value}))',
    externalId: '(&(objectClass=inetOrgPerson)(employeeNumber={value}))',
  },
  'active-directory': {
    login: '(&(objectCategory=person)(objectClass=user)(sAMAccountName={value}))',
    email: '(&(objectCategory=person)(objectClass=user)(mail={value}))',
    externalId: '(&(objectCategory=person)(objectClass=user)(employeeID={value}))',
  },
};

const DEFAULT_NAME_ATTRIBUTE: Record<Mode, string> = { openldap: 'uid', 'active-directory': 'sAMAccountName' };

const filterTemplate = z.string().min(1).superRefine((t, ctx) => {
  if (!t.includes('{value}')) ctx.addIssue({ code: 'custom', message: 'the filter must contain {value} where the looked-up value goes' });
  try {
    FilterParser.parseString(t.split('{value}').join('x'));
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a valid LDAP filter (RFC 4515), e.g. (&(objectClass=inetOrgPerson)(uid={value}))' });
  }
});

const attributeName = z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'an attribute name such as uid');

export const configSchema = z.strictObject({
  /** `openldap` (and other RFC 3062 / ppolicy servers) or `active-directory` (also Samba AD). */
  mode: z.enum(['openldap', 'active-directory']),
  /**
   * `ldaps://host[:636]` (TLS from the first byte) or `ldap://host[:389]` (upgraded with StartTLS
   * before anything is sent). Only scheme, host and port.
   */
  url: z.string().regex(/^ldaps?:\/\/[^/?#\s@]+\/?$/i, 'an ldaps:// or ldap:// URL with host and optional port, nothing else'),
  /** Sends the service password and new passwords unencrypted over ldap://: for a local test server only. */
  allowPlainLdap: z.boolean().default(false),
  tls: z.strictObject({
    /** PEM of the CA (or the self-signed certificate) that signed the server's certificate. Usually `file:/path/ca.pem`. */
    caCert: z.string().includes('-----BEGIN CERTIFICATE-----', { message: 'a PEM certificate (-----BEGIN CERTIFICATE-----)' }).optional(),
    /** The name the certificate is checked against when it differs from the URL's host (e.g. a DC's own host name). */
    serverName: z.string().min(1).optional(),
  }).prefault({}),
  /** The delegated service account, e.g. `cn=resetbridge,ou=services,dc=example,dc=com` or `svc-reset@corp.example`. Not the rootdn. */
  bindDn: z.string().min(1),
  /** Configure as `env:NAME` or `file:PATH`. */
  bindPassword: z.string().min(1),
  /** Where accounts are searched (sub-tree). Targets outside it are refused. */
  baseDn: z.string().min(1),
  /** Search filter per mapping key; defaults depend on the mode (see README). */
  filters: z.strictObject({
    login: filterTemplate.optional(),
    email: filterTemplate.optional(),
    externalId: filterTemplate.optional(),
  }).prefault({}),
  /** The attribute shown as the account's name; default `uid` (openldap) or `sAMAccountName` (AD). */
  nameAttribute: attributeName.optional(),
  /** openldap only: `exop` (RFC 3062 Password Modify, the server hashes) or `replace` (modify userPassword). */
  passwordMethod: z.enum(['exop', 'replace']).default('exop'),
  /** openldap only: attach the password-policy request control so ppolicy says exactly why it refused. */
  ppolicyControl: z.boolean().default(true),
  /** openldap only: the ppolicy entry whose pwdMinLength/pwdMaxLength are reported as policy hints. */
  policyDn: z.string().min(1).optional(),
  /** Per LDAP operation; the sync engine's own deadline still bounds the whole change. */
  timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
  connectTimeoutMs: z.number().int().min(100).max(60_000).default(3_000),
}).superRefine((c, ctx) => {
  if (c.mode === 'active-directory') {
    if (c.passwordMethod !== 'exop') ctx.addIssue({ code: 'custom', path: ['passwordMethod'], message: 'openldap only: Active Directory always writes unicodePwd' });
    if (c.policyDn !== undefined) ctx.addIssue({ code: 'custom', path: ['policyDn'], message: 'openldap only: Active Directory hints come from the domain' });
  }
  if (c.allowPlainLdap && /^ldaps:/i.test(c.url)) {
    ctx.addIssue({ code: 'custom', path: ['allowPlainLdap'], message: 'has no meaning with an ldaps:// URL; remove it' });
  }
});

export type LdapConfigInput = z.input<typeof configSchema>;
export type LdapConfig = z.output<typeof configSchema>;

export type Transport = 'ldaps' | 'starttls' | 'plain';

export interface ConnectionSettings {
  url: string;
  host: string;
  transport: Transport;
  caCert?: string;
  serverName?: string;
  timeoutMs: number;
  connectTimeoutMs: number;
}

/** Everything the adapter needs, defaults filled in once. */
export interface ResolvedConfig {
  mode: Mode;
  connection: ConnectionSettings;
  bindDn: string;
  bindPassword: string;
  baseDn: string;
  filters: Record<LookupKey, string>;
  nameAttribute: string;
  passwordMethod: 'exop' | 'replace';
  ppolicyControl: boolean;
  policyDn?: string;
}

export function resolveConfig(c: LdapConfig): ResolvedConfig {
  const url = new URL(c.url);
  const secure = url.protocol.toLowerCase() === 'ldaps:';
  return {
    mode: c.mode,
    connection: {
      url: `${url.protocol}//${url.host}`,
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      transport: secure ? 'ldaps' : c.allowPlainLdap ? 'plain' : 'starttls',
      ...(c.tls.caCert !== undefined ? { caCert: c.tls.caCert } : {}),
      ...(c.tls.serverName !== undefined ? { serverName: c.tls.serverName } : {}),
      timeoutMs: c.timeoutMs,
      connectTimeoutMs: c.connectTimeoutMs,
    },
    bindDn: c.bindDn,
    bindPassword: c.bindPassword,
    baseDn: c.baseDn,
    filters: { ...DEFAULT_FILTERS[c.mode], ...stripUndefined(c.filters) },
    nameAttribute: c.nameAttribute ?? DEFAULT_NAME_ATTRIBUTE[c.mode],
    passwordMethod: c.passwordMethod,
    ppolicyControl: c.mode === 'openldap' && c.ppolicyControl,
    ...(c.policyDn !== undefined ? { policyDn: c.policyDn } : {}),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
