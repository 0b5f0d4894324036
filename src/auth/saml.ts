import {
  SAML, ValidateInResponseTo, generateServiceProviderMetadata, type PassportSamlConfig, type Profile,
} from '@node-saml/passport-saml';
import type { SamlConnectionConfig } from '../config/schema.js';
import type { SamlLogoutInfo } from '../domain/types.js';
import type { Clock, Store } from '../domain/ports.js';
import type { Logger } from '../sync/contract.js';
import { SamlRejected, checkAssertion, samlFailureReason, signaturePresence } from './saml-checks.js';
import { StoreRequestCache } from './saml-cache.js';
import { IdpMetadataSource, type IdpDescription } from './saml-metadata.js';
import { rolesFor, type SsoIdentity } from './identity.js';

export type { SamlLogoutInfo } from '../domain/types.js';

export interface SamlIdentity extends SsoIdentity {
  logout: SamlLogoutInfo;
}

const SHA256 = 'http://www.w3.org/2001/04/xmlenc#sha256';

/**
 * One partner's SAML 2.0 connection. The protocol work is node-saml's (via passport-saml's
 * MultiSamlStrategy in the HTTP layer); this class supplies the per-connection options, the
 * checks node-saml leaves to the relying party, the replay cache and the attribute mapping.
 */
export class SamlConnection {
  readonly protocol = 'saml';
  private readonly idp: IdpMetadataSource;

  constructor(
    readonly config: SamlConnectionConfig,
    private readonly deps: { publicUrl: string; store: Store; clock: Clock; logger?: Logger; fetch?: typeof fetch },
  ) {
    this.idp = new IdpMetadataSource(config.idp, deps);
  }

  private get base(): string {
    return `${this.deps.publicUrl.replace(/\/$/, '')}/auth/${this.config.id}/saml`;
  }

  get metadataUrl(): string {
    return `${this.base}/metadata`;
  }

  get entityId(): string {
    return this.config.sp.entityId ?? this.metadataUrl;
  }

  get acsUrl(): string {
    return `${this.base}/acs`;
  }

  get sloUrl(): string {
    return `${this.base}/slo`;
  }

  describeIdp(): Promise<IdpDescription> {
    return this.idp.get();
  }

  /**
   * Origins a form on our pages may end up at through this connection (a POST that redirects to
   * the IdP, e.g. sign-out to its SLO): CSP form-action covers redirects too. The metadata URL's
   * origin stands in for endpoints not read yet.
   */
  formOrigins(): string[] {
    const known = this.idp.peek();
    const urls = [this.config.idp.ssoUrl, this.config.idp.sloUrl, this.config.idp.metadataUrl, known?.ssoUrl, known?.sloUrl];
    return [...new Set(urls.filter((u): u is string => !!u).map((u) => new URL(u).origin))];
  }

  /** node-saml options for this connection, looked up per request (metadata may have rolled over). */
  async samlOptions(): Promise<PassportSamlConfig> {
    const idp = await this.idp.get();
    const c = this.config;
    return {
      issuer: this.entityId,
      audience: this.entityId,
      callbackUrl: this.acsUrl,
      logoutCallbackUrl: this.sloUrl,
      entryPoint: idp.ssoUrl,
      ...(idp.sloUrl ? { logoutUrl: idp.sloUrl } : {}),
      idpIssuer: idp.entityId,
      idpCert: idp.certs,
      wantAuthnResponseSigned: c.wantResponseSigned,
      wantAssertionsSigned: c.wantAssertionsSigned,
      acceptedClockSkewMs: c.clockSkewSeconds * 1000,
      validateInResponseTo: c.allowIdpInitiated ? ValidateInResponseTo.ifPresent : ValidateInResponseTo.always,
      requestIdExpirationPeriodMs: c.requestTtlSeconds * 1000,
      cacheProvider: new StoreRequestCache(this.deps.store, c.id, this.deps.clock, c.requestTtlSeconds * 1000),
      identifierFormat: c.nameIdFormat,
      // The default asks for "password over TLS, exactly", which IdPs using MFA refuse.
      disableRequestedAuthnContext: true,
      signatureAlgorithm: 'sha256',
      digestAlgorithm: SHA256,
      ...(c.signAuthnRequests && c.sp.privateKey ? { privateKey: c.sp.privateKey, publicCert: c.sp.cert } : {}),
    };
  }

  /** The URL that sends the browser to the IdP with a fresh AuthnRequest (HTTP-Redirect binding). */
  async start(returnTo: string): Promise<{ url: string }> {
    const saml = new SAML(await this.samlOptions());
    return { url: await saml.getAuthorizeUrlAsync(returnTo, undefined, {}) };
  }

  /** A LogoutRequest URL when the IdP offers Single Logout, else undefined. */
  async logoutUrl(info: SamlLogoutInfo, returnTo: string): Promise<string | undefined> {
    const options = await this.samlOptions();
    if (!options.logoutUrl) return undefined;
    return new SAML(options).getLogoutUrlAsync({ issuer: '', ...info }, returnTo, {});
  }

  /** SP metadata to hand to the partner: entityID, ACS, SLO, and the signing certificate when requests are signed. */
  metadata(): string {
    const c = this.config;
    const signing = c.signAuthnRequests && c.sp.privateKey && c.sp.cert ? { privateKey: c.sp.privateKey, publicCerts: [c.sp.cert] } : {};
    return generateServiceProviderMetadata({
      issuer: this.entityId,
      callbackUrl: this.acsUrl,
      logoutCallbackUrl: this.sloUrl,
      identifierFormat: c.nameIdFormat,
      wantAssertionsSigned: c.wantAssertionsSigned,
      signatureAlgorithm: 'sha256',
      ...signing,
    });
  }

  /**
   * The admin a validly signed response names, after the checks node-saml leaves to us and the
   * replay cache: an assertion id is accepted once, until it would have expired anyway.
   */
  async identify(profile: Profile): Promise<SamlIdentity> {
    const idp = await this.idp.get();
    // node-saml judges NotBefore / NotOnOrAfter by the system clock; these checks use the same one.
    const now = new Date();
    const checked = checkAssertion(profile, { idpEntityId: idp.entityId, acsUrl: this.acsUrl, skewMs: this.config.clockSkewSeconds * 1000, now });
    const first = await this.deps.store.markAssertionSeen(checked.id, checked.usableUntil.toISOString(), now.toISOString());
    if (!first) throw new SamlRejected('replayed-assertion');
    if (!profile.nameID) throw new SamlRejected('no-name-id');

    const attrs = (profile.attributes ?? {}) as Record<string, unknown>;
    const values = (name: string) => [attrs[name]].flat().filter((v): v is string => typeof v === 'string').map((v) => v.trim()).filter(Boolean);
    const email = values(this.config.emailAttribute)[0] ?? (profile.nameID.includes('@') ? profile.nameID : '');
    return {
      sub: profile.nameID,
      email,
      name: values(this.config.nameAttribute)[0] ?? (email || profile.nameID),
      groups: values(this.config.roleAttribute),
      logout: {
        nameID: profile.nameID,
        nameIDFormat: profile.nameIDFormat || 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
        ...(profile.nameQualifier ? { nameQualifier: profile.nameQualifier } : {}),
        ...(profile.spNameQualifier ? { spNameQualifier: profile.spNameQualifier } : {}),
        ...(profile.sessionIndex ? { sessionIndex: profile.sessionIndex } : {}),
      },
    };
  }

  failureReason(err: unknown, samlResponse: unknown): string {
    return samlFailureReason(err, signaturePresence(samlResponse));
  }

  rolesFor(groups: string[]): string[] {
    return rolesFor(this.config.roles, groups);
  }
}
