import { z } from 'zod';

// Every default is set here, next to what it means. Development-only defaults are flagged in
// `warnings()` at start so nobody runs them in production by accident.

const duration = z.number().int().positive();

const oidcConnection = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes'),
  type: z.literal('oidc'),
  /** Partner id this connection signs admins into. One partner may have several connections. */
  partner: z.string().min(1),
  /** Shown on the sign-in button. */
  displayName: z.string().min(1),
  issuer: z.url(),
  clientId: z.string().min(1),
  /** A reference (`env:NAME`, `file:PATH`) or, for the demo only, a literal. */
  clientSecret: z.string().min(1),
  scope: z.string().default('openid email profile'),
  /** Claim holding the admin's groups/roles, and which values map to which resetbridge role. */
  roleClaim: z.string().default('groups'),
  roles: z.object({
    'partner-admin': z.array(z.string()).default(['resetbridge-admins']),
    'idp-admin': z.array(z.string()).default(['resetbridge-idp-admins']),
  }).prefault({}),
  /** Only for an http:// issuer on this machine (the demo IdP, tests). */
  allowInsecureIssuer: z.boolean().default(false),
});

const directoryInstance = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes'),
  plugin: z.string().min(1),
  config: z.record(z.string(), z.unknown()).default({}),
});

const mailTransport = z.discriminatedUnion('type', [
  /** Writes each message as an .eml file: development only. */
  z.object({ type: z.literal('file'), dir: z.string().default('mail') }),
  z.object({
    type: z.literal('smtp'),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    /** true = implicit TLS (465); false = STARTTLS when offered. */
    secure: z.boolean().default(false),
    requireTls: z.boolean().default(false),
    user: z.string().optional(),
    password: z.string().optional(),
    pool: z.boolean().default(true),
  }),
]);

export const configSchema = z.object({
  env: z.enum(['development', 'production', 'test']).default('development'),
  server: z.object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(3000),
    /** Base of every link in a mail. Links are never built from the Host header. */
    publicUrl: z.url().default('http://localhost:3000'),
    trustProxy: z.union([z.boolean(), z.number().int(), z.string()]).default(false),
  }).prefault({}),
  /** Where the embedded store, the demo directory and file mail live. Relative to the working directory. */
  dataDir: z.string().default('data'),
  secrets: z.object({
    /** Signs session and CSRF cookies. Unset: generated once into `<dataDir>/secrets.json` (development only). */
    sessionSecret: z.string().min(32).optional(),
    /** 32 bytes, base64: seals reset links in the mail outbox (AES-256-GCM). Unset: generated like sessionSecret. */
    dataKey: z.string().optional(),
  }).prefault({}),
  reset: z.object({
    /** Lifetime of an admin-initiated reset link, seconds. 24 h is NIST SP 800-63B's ceiling for email. */
    adminTtlSeconds: duration.default(24 * 3600),
    /** How long one submit may hold a link while it writes to the directory, seconds. */
    claimSeconds: duration.default(60),
  }).prefault({}),
  policy: z.object({
    /** NIST: at least 8; 12 by default, 15 recommended when the password is the only factor. */
    minLength: z.number().int().min(8).default(12),
    /** Accepted length; never truncated. NIST asks for at least 64, we allow far more. */
    maxLength: z.number().int().min(64).default(256),
  }).prefault({}),
  session: z.object({
    idleMinutes: z.number().int().positive().default(30),
    absoluteHours: z.number().int().positive().default(12),
  }).prefault({}),
  mail: z.object({
    from: z.string().default('resetbridge <no-reply@resetbridge.localhost>'),
    transport: mailTransport.default({ type: 'file', dir: 'mail' }),
    pollMs: z.number().int().positive().default(1000),
  }).prefault({}),
  sso: z.object({ connections: z.array(oidcConnection).default([]) }).prefault({}),
  directories: z.array(directoryInstance).default([]),
  demo: z.object({
    /** Seeds demo partners, customers and accounts into an empty store. */
    seed: z.boolean().default(false),
    /** Runs the in-process demo OpenID Provider for the seeded partners. Refused in production. */
    idp: z.boolean().default(false),
    idpPort: z.number().int().min(0).max(65535).default(3001),
  }).prefault({}),
  log: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    pretty: z.boolean().default(false),
  }).prefault({}),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type OidcConnectionConfig = z.output<typeof oidcConnection>;
export type DirectoryInstanceConfig = z.output<typeof directoryInstance>;
export type MailTransportConfig = z.output<typeof mailTransport>;
