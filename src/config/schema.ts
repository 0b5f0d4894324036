import { z } from 'zod';

// Every default is set here, next to what it means. Development-only defaults are flagged in
// `warnings()` at start so nobody runs them in production by accident.

const duration = z.number().int().positive();
const limit = (points: number, seconds: number) =>
  z.object({ points: z.number().int().positive().default(points), seconds: duration.default(seconds) }).prefault({});

/** Which values of the connection's role claim (OIDC) or attribute (SAML) grant which resetbridge role. */
const roleMapping = z.object({
  'partner-admin': z.array(z.string()).default(['resetbridge-admins']),
  'idp-admin': z.array(z.string()).default(['resetbridge-idp-admins']),
}).prefault({});

const connectionId = z.string().regex(/^[a-z0-9-]+$/, 'lowercase letters, digits and dashes');

const oidcConnection = z.object({
  id: connectionId,
  type: z.literal('oidc'),
  /** Partner id this connection signs admins into. One partner may have several connections. */
  partner: z.string().min(1),
  /** Shown on the sign-in button. */
  displayName: z.string().min(1),
  issuer: z.url(),
  clientId: z.string().min(1),
  /** A reference (`env:NAME`, `file:PATH`) or, for the demo only, a literal. Not needed with private_key_jwt. */
  clientSecret: z.string().min(1).optional(),
  /** How resetbridge authenticates at the token endpoint. */
  tokenEndpointAuth: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt']).default('client_secret_basic'),
  /** private_key_jwt: reference to a PKCS#8 PEM private key (RSA or P-256), and its `kid` as registered at the IdP. */
  privateKey: z.string().min(1).optional(),
  privateKeyId: z.string().min(1).optional(),
  scope: z.string().default('openid email profile'),
  /** Claim holding the admin's groups/roles, and which values map to which resetbridge role. */
  roleClaim: z.string().default('groups'),
  roles: roleMapping,
  /** Only for an http:// issuer on this machine (the demo IdP, tests). */
  allowInsecureIssuer: z.boolean().default(false),
}).superRefine((c, ctx) => {
  if (c.tokenEndpointAuth === 'private_key_jwt' && !c.privateKey) {
    ctx.addIssue({ code: 'custom', path: ['privateKey'], message: 'required with tokenEndpointAuth: private_key_jwt (a file:PATH to a PKCS#8 PEM key)' });
  }
  if (c.tokenEndpointAuth !== 'private_key_jwt' && !c.clientSecret) {
    ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: `required with tokenEndpointAuth: ${c.tokenEndpointAuth} (e.g. env:NAME)` });
  }
});

const samlConnection = z.object({
  id: connectionId,
  type: z.literal('saml'),
  /** Partner id this connection signs admins into. One partner may have several connections. */
  partner: z.string().min(1),
  /** Shown on the sign-in choice. */
  displayName: z.string().min(1),
  /** The partner's IdP: its metadata by URL or pasted, or the values by hand (values given here win over metadata). */
  idp: z.object({
    metadataUrl: z.url().optional(),
    /** The metadata XML itself, or a `file:PATH` reference to it. */
    metadataXml: z.string().min(1).optional(),
    /** A metadataUrl is read again this often, so a certificate rollover is picked up; hours. */
    metadataRefreshHours: z.number().positive().default(24),
    entityId: z.string().min(1).optional(),
    /** SingleSignOnService, HTTP-Redirect binding. */
    ssoUrl: z.url().optional(),
    /** SingleLogoutService, HTTP-Redirect binding. Without one, sign-out is local only. */
    sloUrl: z.url().optional(),
    /** Signing certificates, PEM or base64 DER (or `file:PATH`). All are accepted at once: add the new one before a rollover. */
    certs: z.array(z.string().min(1)).optional(),
  }).superRefine((idp, ctx) => {
    if (idp.metadataUrl || idp.metadataXml) return;
    for (const key of ['entityId', 'ssoUrl', 'certs'] as const) {
      if (!idp[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'required when neither metadataUrl nor metadataXml is given' });
    }
  }),
  /** resetbridge's side. The entity id defaults to the SP metadata URL, `<publicUrl>/auth/<id>/saml/metadata`. */
  sp: z.object({
    entityId: z.string().min(1).optional(),
    /** References to a PEM private key and its certificate; they sign AuthnRequests and LogoutRequests. */
    privateKey: z.string().min(1).optional(),
    cert: z.string().min(1).optional(),
  }).prefault({}),
  /** Sign AuthnRequests (and LogoutRequests) with sp.privateKey. */
  signAuthnRequests: z.boolean().default(false),
  /** Both the Response and its Assertion must be signed unless one is turned off here. */
  wantResponseSigned: z.boolean().default(true),
  wantAssertionsSigned: z.boolean().default(true),
  /** Tolerated clock difference with the IdP for NotBefore / NotOnOrAfter, seconds. */
  clockSkewSeconds: z.number().int().min(0).max(600).default(60),
  /** How long an AuthnRequest waits for its answer (InResponseTo), seconds. */
  requestTtlSeconds: duration.default(600),
  /** Accept unsolicited (IdP-initiated) responses. Off: only answers to resetbridge's own requests count. */
  allowIdpInitiated: z.boolean().default(false),
  /** NameIDPolicy format asked for. The NameID is the admin's stable subject. */
  nameIdFormat: z.string().default('urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress'),
  /** Attribute names for the admin's email, display name and groups/roles. Email falls back to an email-shaped NameID. */
  emailAttribute: z.string().default('email'),
  nameAttribute: z.string().default('displayName'),
  roleAttribute: z.string().default('groups'),
  roles: roleMapping,
  /** Only for an http:// metadata URL on this machine (the demo IdP, tests). */
  allowInsecureMetadataUrl: z.boolean().default(false),
}).superRefine((c, ctx) => {
  if (c.signAuthnRequests && !(c.sp.privateKey && c.sp.cert)) {
    ctx.addIssue({ code: 'custom', path: ['sp', 'privateKey'], message: 'signAuthnRequests needs sp.privateKey and sp.cert (file:PATH references)' });
  }
  if (c.idp.metadataUrl?.startsWith('http://') && !c.allowInsecureMetadataUrl) {
    ctx.addIssue({ code: 'custom', path: ['idp', 'metadataUrl'], message: 'must be https:// (the certificates that vouch for every sign-in come from it)' });
  }
});

const ssoConnection = z.discriminatedUnion('type', [oidcConnection, samlConnection]);

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
  /** Without `store.postgres.url` the embedded lowdb store in `<dataDir>/store` is used (one instance). */
  store: z.object({
    postgres: z.object({
      /**
       * PostgreSQL URL, for several instances sharing one database; `DATABASE_URL` sets it. A reference
       * (`env:NAME`, `file:PATH`) keeps the password out of the file. A schema other than `public`:
       * `?options=-c%20search_path%3D<schema>`. Migrations run at start.
       */
      url: z.string().min(1).optional(),
      /** Connections each instance keeps open at most. */
      poolSize: z.number().int().min(1).default(10),
      /** Any statement running longer is cancelled, ms; the request then answers 503. */
      statementTimeoutMs: z.number().int().positive().default(5000),
      /** Giving up on opening one connection, ms. */
      connectTimeoutMs: z.number().int().positive().default(5000),
      /** At start, how often to try again while the database cannot be reached (it may still be starting), and how far apart, ms. */
      connectRetries: z.number().int().min(0).default(10),
      connectRetryDelayMs: z.number().int().positive().default(2000),
    }).prefault({}),
  }).prefault({}),
  secrets: z.object({
    /** Signs session and CSRF cookies. Unset: generated once into `<dataDir>/secrets.json` (development only). */
    sessionSecret: z.string().min(1).optional(),
    /** 32 bytes, base64: seals reset links in the mail outbox (AES-256-GCM). Unset: generated like sessionSecret. */
    dataKey: z.string().optional(),
  }).prefault({}),
  reset: z.object({
    /** Lifetime of an admin-initiated reset link, seconds. 24 h is NIST SP 800-63B's ceiling for email. */
    adminTtlSeconds: duration.default(24 * 3600),
    /** Lifetime of a self-service ("forgot password") link, seconds. */
    selfServiceTtlSeconds: duration.default(30 * 60),
    /** How long one submit may hold a link while it writes to the directory, seconds. */
    claimSeconds: duration.default(60),
    /** A link is forgotten this long after it expired (used, revoked or lapsed), days; the audit log keeps its events. */
    keepDays: duration.default(30),
  }).prefault({}),
  /** Carrying a new password to a binding's primary and secondary directories. */
  sync: z.object({
    /** The primary directory must answer within this, bounded retries included: the user waits on the page, ms. */
    primaryDeadlineMs: duration.default(10_000),
    /** Each secondary gets one try within this while the user waits; after that the retry outbox carries on, ms. */
    secondaryDeadlineMs: duration.default(5_000),
    /** How long a new password may wait, sealed (AES-256-GCM with the data key), for a secondary that did not take it, seconds. */
    retryLifetimeSeconds: duration.default(15 * 60),
    /** First wait before a retry, doubled per attempt with jitter (a Retry-After from the directory wins), ms. */
    retryBaseMs: duration.default(5_000),
    /** The longest wait between two retries, ms. */
    retryMaxMs: duration.default(2 * 60_000),
    /** How often the retry worker looks for due work, ms. */
    pollMs: duration.default(1_000),
    /** Finished syncs stay on the Sync page this long, days; the audit log keeps every attempt regardless. */
    keepDays: duration.default(30),
  }).prefault({}),
  policy: z.object({
    /** NIST: at least 8; 12 by default, 15 recommended when the password is the only factor. */
    minLength: z.number().int().min(8).default(12),
    /** Accepted length; never truncated. NIST asks for at least 64, we allow far more. */
    maxLength: z.number().int().min(64).default(256),
    /** Optional breached-password look-up by k-anonymity (only a 5-character hash prefix is sent). */
    breached: z.object({
      enabled: z.boolean().default(false),
      rangeUrl: z.url().default('https://api.pwnedpasswords.com/range/'),
      /** `allow`: accept the password when the service cannot be reached (fail open); `reject`: refuse it (fail closed). */
      onError: z.enum(['allow', 'reject']).default('allow'),
      timeoutMs: z.number().int().positive().default(3000),
    }).prefault({}),
  }).prefault({}),
  /** Throttling; each bucket allows `points` actions per `seconds`. A reset request never locks an account. */
  rateLimits: z.object({
    issuePerAccount: limit(3, 900),
    issuePerIp: limit(10, 900),
    /** Every opening of a link is audited: reloading one in a loop must not grow the trail without end. */
    openPerToken: limit(30, 900),
    openPerIp: limit(300, 900),
    redeemPerToken: limit(10, 900),
    redeemPerIp: limit(30, 900),
    /** A stolen admin session must not be able to mail-bomb a customer. */
    adminIssuePerAdmin: limit(30, 3600),
  }).prefault({}),
  session: z.object({
    idleMinutes: z.number().int().positive().default(30),
    absoluteHours: z.number().int().positive().default(12),
  }).prefault({}),
  mail: z.object({
    from: z.string().default('resetbridge <no-reply@resetbridge.localhost>'),
    transport: mailTransport.default({ type: 'file', dir: 'mail' }),
    pollMs: z.number().int().positive().default(1000),
    /** DKIM-sign every mail (RSA); publish the public key at `<keySelector>._domainkey.<domainName>`. */
    dkim: z.object({
      domainName: z.string().min(1),
      keySelector: z.string().min(1),
      /** PEM private key, as a reference: `file:/etc/resetbridge/dkim.pem` or `env:NAME`. */
      privateKey: z.string().min(1),
    }).optional(),
    /** /readyz re-checks the mail transport (an SMTP connection) at most this often, seconds. */
    verifySeconds: z.number().int().min(0).default(30),
  }).prefault({}),
  sso: z.object({ connections: z.array(ssoConnection).default([]) }).prefault({}),
  directories: z.array(directoryInstance).default([]),
  /**
   * Company → directory bindings kept in the configuration; applied at every start (the IdP admin's
   * console and the API can change them too). `instance` and each secondary must name a directory.
   */
  bindings: z.array(z.object({
    partner: z.string().min(1),
    customer: z.string().min(1),
    instance: z.string().min(1),
    mapping: z.string().min(1).default('login'),
    secondaries: z.array(z.object({ instance: z.string().min(1), mapping: z.string().min(1).default('login') })).optional(),
    revokeSessions: z.boolean().optional(),
  })).default([]),
  demo: z.object({
    /** Seeds demo partners, customers and accounts into an empty store. */
    seed: z.boolean().default(false),
    /** Runs the in-process demo OpenID Provider for the seeded partners. Refused in production. */
    idp: z.boolean().default(false),
    idpPort: z.number().int().min(0).max(65535).default(3001),
    /** Also runs the demo SAML IdP (it signs real responses) and gives each seeded partner a SAML connection. Refused in production. */
    samlIdp: z.boolean().default(false),
    samlIdpPort: z.number().int().min(0).max(65535).default(3002),
  }).prefault({}),
  metrics: z.object({
    /** Prometheus text format at /metrics. */
    enabled: z.boolean().default(true),
    /** When set (a reference such as env:METRICS_TOKEN), /metrics requires `Authorization: Bearer <token>`. */
    token: z.string().min(1).optional(),
  }).prefault({}),
  /** How long SIGTERM waits for in-flight requests and outbox work before closing anyway, ms. */
  shutdownTimeoutMs: z.number().int().positive().default(10_000),
  /** The REST API at /api/v1 (API clients are made on the IdP admin's API clients page or with `resetbridge clients`). */
  api: z.object({
    /** Off: no /api at all, and no API clients page. */
    enabled: z.boolean().default(true),
    /** How long an `Idempotency-Key` and the answer it replays are kept, hours. */
    idempotencyHours: z.number().positive().default(24),
    /**
     * OAuth 2.0 client credentials: besides API clients' own `<client id>.<secret>`, accept a JWT
     * access token (RFC 9068 style) from this authorization server. Unset: only API clients.
     */
    oauth: z.object({
      /** The authorization server's issuer; tokens' `iss` must equal it. https unless allowInsecureIssuer. */
      issuer: z.url(),
      /** What tokens' `aud` must hold: the resource (indicator) the authorization server issues them for. */
      audience: z.string().min(1),
      /** Where the signing keys are; read from the issuer's discovery document when left out. */
      jwksUri: z.url().optional(),
      /** The claim holding the granted scopes: a space-separated string or an array (Okta and Entra use `scp`). */
      scopeClaim: z.string().min(1).default('scope'),
      /**
       * A claim naming the one partner a token may act for; the caller then gets 404 for anything of
       * another partner, as a restricted API client does. A token without the claim acts for every
       * partner. Unset: no token is restricted.
       */
      partnerClaim: z.string().min(1).optional(),
      /** Leeway for `exp` and `nbf` between our clock and the issuer's, seconds. */
      clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
      /** Signature algorithms accepted. Never `none` nor HS*: a shared secret would let the issuer's other clients forge tokens. */
      algorithms: z.array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'])).min(1)
        .default(['RS256', 'PS256', 'ES256', 'EdDSA']),
      /** Only for an http:// issuer or JWKS on this machine (tests). */
      allowInsecureIssuer: z.boolean().default(false),
    }).refine((o) => o.allowInsecureIssuer || [o.issuer, o.jwksUri ?? 'https:'].every((u) => u.startsWith('https:')), {
      message: 'issuer and jwksUri must be https:// URLs (allowInsecureIssuer: true only for a local test server)', path: ['issuer'],
    }).optional(),
  }).prefault({}),
  /** Signed event notifications to subscribers' URLs (IdP admin → Webhooks, or `resetbridge webhooks`). */
  webhooks: z.object({
    /** How often the delivery worker looks for due deliveries, ms. */
    pollMs: duration.default(1_000),
    /** One POST must be answered within this, ms. */
    timeoutMs: duration.default(10_000),
    /** Tries per delivery before it is marked failed (the first one included). */
    maxAttempts: z.number().int().min(1).default(12),
    /** No retry later than this after the event, hours. */
    retryHours: z.number().positive().default(24),
    /** First wait before a retry, doubled per attempt with jitter (a receiver's Retry-After wins), ms. */
    retryBaseMs: duration.default(30_000),
    /** The longest wait between two tries, ms. */
    retryMaxMs: duration.default(6 * 3600_000),
    /** How often expired, unused links are looked for (each gives one `reset.expired` event), seconds. */
    expirySweepSeconds: duration.default(60),
    /** Finished deliveries stay in the delivery log this long, days. */
    keepDays: duration.default(30),
  }).prefault({}),
  log: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    pretty: z.boolean().default(false),
  }).prefault({}),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type OidcConnectionConfig = z.output<typeof oidcConnection>;
export type SamlConnectionConfig = z.output<typeof samlConnection>;
export type SsoConnectionConfig = z.output<typeof ssoConnection>;
export type DirectoryInstanceConfig = z.output<typeof directoryInstance>;
export type MailTransportConfig = z.output<typeof mailTransport>;
