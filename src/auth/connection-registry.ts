import type { OidcConnectionConfig, SamlConnectionConfig } from '../config/schema.js';
import type { Clock, Store } from '../domain/ports.js';
import type { SecretBox } from '../domain/secretbox.js';
import type { StoredConnection } from '../domain/types.js';
import type { Logger } from '../sync/contract.js';
import type { SsoConnection } from './connections.js';
import { OidcConnection } from './oidc.js';
import { SamlConnection } from './saml.js';

export interface RegistryDeps {
  store: Store;
  clock: Clock;
  publicUrl: string;
  box: SecretBox;
  /** http:// issuers and metadata URLs (development and tests only). */
  allowInsecure: boolean;
  logger?: Logger;
}

/** How long the CSP's list of IdP origins may lag behind the store. */
const ORIGINS_TTL_MS = 5_000;

/**
 * The connections of the configuration, and those IdP admins made in the console, looked up in the
 * store at every request: a connection added, edited or disabled on one instance counts at once on
 * all. A stored connection's protocol object (its discovery document, IdP metadata) is kept while
 * the record is unchanged. The configuration wins an id both have.
 */
export class ConnectionRegistry {
  private readonly fixed: Map<string, SsoConnection>;
  private readonly built = new Map<string, { version: string; connection: SsoConnection }>();
  private origins: { at: number; value: Promise<string[]> } | undefined;

  constructor(configured: SsoConnection[], private readonly deps: RegistryDeps) {
    this.fixed = new Map(configured.map((c) => [c.config.id, c]));
  }

  configured(): SsoConnection[] {
    return [...this.fixed.values()];
  }

  isConfigured(id: string): boolean {
    return this.fixed.has(id);
  }

  /** An enabled connection by id, from the configuration or the store. */
  async get(id: string): Promise<SsoConnection | undefined> {
    const fixed = this.fixed.get(id);
    if (fixed) return fixed;
    const stored = await this.deps.store.getConnection(id);
    return stored && !stored.disabled ? this.build(stored) : undefined;
  }

  /** The partner's enabled connections, configured ones first. */
  async forPartner(partnerId: string): Promise<SsoConnection[]> {
    const stored = (await this.deps.store.listConnections(partnerId)).filter((c) => !c.disabled && !this.fixed.has(c.id));
    return [...this.configured().filter((c) => c.config.partner === partnerId), ...stored.map((c) => this.build(c))];
  }

  /** Origins of every IdP our forms may be redirected to (CSP form-action), refreshed every few seconds. */
  formOrigins(): Promise<string[]> {
    const now = Date.now();
    if (!this.origins || now - this.origins.at > ORIGINS_TTL_MS) {
      const value = this.readOrigins().catch(() => this.fixedOrigins());
      this.origins = { at: now, value };
    }
    return this.origins.value;
  }

  private fixedOrigins(): string[] {
    return this.configured().flatMap((c) => (c.protocol === 'saml' ? c.formOrigins() : [origin(c.config.issuer)]))
      .filter((o): o is string => !!o);
  }

  private async readOrigins(): Promise<string[]> {
    const stored = (await this.deps.store.listConnections()).filter((c) => !c.disabled);
    const urls = stored.flatMap((c) => (c.settings.type === 'oidc'
      ? [c.settings.issuer]
      : [c.settings.idp.ssoUrl, c.settings.idp.sloUrl, c.settings.metadataUrl]));
    return [...new Set([...this.fixedOrigins(), ...urls.map(origin).filter((o): o is string => !!o)])];
  }

  private build(stored: StoredConnection): SsoConnection {
    const held = this.built.get(stored.id);
    if (held && held.version === stored.updatedAt) return held.connection;
    const connection = stored.settings.type === 'oidc'
      ? new OidcConnection(oidcConfig(stored, this.deps), this.deps.publicUrl)
      : new SamlConnection(samlConfig(stored, this.deps), this.deps);
    this.built.set(stored.id, { version: stored.updatedAt, connection });
    return connection;
  }
}

function origin(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).origin : undefined;
  } catch {
    return undefined;
  }
}

/** The stored record in the configuration's shape, secrets opened (they live in memory only). */
export function oidcConfig(stored: StoredConnection, deps: Pick<RegistryDeps, 'box' | 'allowInsecure'>): OidcConnectionConfig {
  const s = stored.settings;
  if (s.type !== 'oidc') throw new Error(`connection ${stored.id} is not OIDC`);
  return {
    id: stored.id, type: 'oidc', partner: stored.partnerId, displayName: stored.displayName,
    issuer: s.issuer, clientId: s.clientId, clientSecret: deps.box.open(s.clientSecretSealed),
    tokenEndpointAuth: s.tokenEndpointAuth, scope: s.scope, roleClaim: s.roleClaim, roles: s.roles,
    allowInsecureIssuer: deps.allowInsecure && s.issuer.startsWith('http://'),
  };
}

export function samlConfig(stored: StoredConnection, deps: Pick<RegistryDeps, 'box' | 'allowInsecure'>): SamlConnectionConfig {
  const s = stored.settings;
  if (s.type !== 'saml') throw new Error(`connection ${stored.id} is not SAML`);
  const idp = s.metadataUrl
    ? { metadataUrl: s.metadataUrl, metadataRefreshHours: 24 }
    : s.metadataXml
      ? { metadataXml: s.metadataXml, metadataRefreshHours: 24 }
      : { metadataRefreshHours: 24, entityId: s.idp.entityId, ssoUrl: s.idp.ssoUrl, certs: s.idp.certs, ...(s.idp.sloUrl ? { sloUrl: s.idp.sloUrl } : {}) };
  const signing = s.signAuthnRequests && s.spKeySealed && s.spCert ? { privateKey: deps.box.open(s.spKeySealed), cert: s.spCert } : {};
  return {
    id: stored.id, type: 'saml', partner: stored.partnerId, displayName: stored.displayName,
    idp, sp: signing,
    signAuthnRequests: !!signing.privateKey,
    wantResponseSigned: s.wantResponseSigned,
    wantAssertionsSigned: s.wantAssertionsSigned,
    clockSkewSeconds: s.clockSkewSeconds,
    requestTtlSeconds: 600,
    allowIdpInitiated: s.allowIdpInitiated,
    nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    emailAttribute: 'email',
    nameAttribute: 'displayName',
    roleAttribute: s.roleAttribute,
    roles: s.roles,
    allowInsecureMetadataUrl: deps.allowInsecure,
  };
}
