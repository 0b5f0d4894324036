import { DOMParser, type Element } from '@xmldom/xmldom';
import type { SamlConnectionConfig } from '../config/schema.js';
import type { Clock } from '../domain/ports.js';
import type { Logger } from '../sync/contract.js';

/** What resetbridge needs to know about a partner's SAML IdP. */
export interface IdpDescription {
  entityId: string;
  ssoUrl: string;
  sloUrl?: string;
  /** Base64 DER signing certificates; any of them may sign (rollover). */
  certs: string[];
}

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

/** Reads the IdP's entityID, Redirect-binding endpoints and signing certificates from its metadata. */
export function parseIdpMetadata(xml: string, entityId?: string): Partial<IdpDescription> {
  const doc = new DOMParser({ onError: (level, message) => {
    if (level !== 'warning') throw new Error(`IdP metadata is not valid XML: ${message}`);
  } }).parseFromString(xml, 'text/xml');
  const entities = [...doc.getElementsByTagNameNS(MD, 'EntityDescriptor')];
  const entity = entities.find((e) => (entityId ? e.getAttribute('entityID') === entityId : first(e, MD, 'IDPSSODescriptor')));
  const idp = entity && first(entity, MD, 'IDPSSODescriptor');
  if (!entity || !idp) throw new Error(`IdP metadata has no IDPSSODescriptor${entityId ? ` for ${entityId}` : ''}`);
  const endpoint = (tag: string) =>
    [...idp.getElementsByTagNameNS(MD, tag)].find((e) => e.getAttribute('Binding') === REDIRECT)?.getAttribute('Location') ?? undefined;
  const certs = [...idp.getElementsByTagNameNS(MD, 'KeyDescriptor')]
    .filter((k) => (k.getAttribute('use') ?? 'signing') === 'signing')
    .flatMap((k) => [...k.getElementsByTagNameNS(DS, 'X509Certificate')].map((c) => (c.textContent ?? '').replace(/\s+/g, '')))
    .filter(Boolean);
  const sloUrl = endpoint('SingleLogoutService');
  const ssoUrl = endpoint('SingleSignOnService');
  return { entityId: entity.getAttribute('entityID') ?? undefined, ...(ssoUrl ? { ssoUrl } : {}), ...(sloUrl ? { sloUrl } : {}), certs };
}

function first(node: Element, ns: string, tag: string): Element | undefined {
  return node.getElementsByTagNameNS(ns, tag)[0] ?? undefined;
}

/** PEM or base64 DER in, base64 DER out (node-saml accepts either; one form makes comparing easy). */
export function certBody(cert: string): string {
  return cert.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

/**
 * The IdP description of one connection: pasted or fetched metadata, overridden by values given by
 * hand. A metadata URL is read again after `metadataRefreshHours`, so a certificate rollover at the
 * IdP is picked up; if it cannot be read then, the last good copy keeps working.
 */
export class IdpMetadataSource {
  private cached: { at: number; value: IdpDescription } | undefined;
  private loading: Promise<IdpDescription> | undefined;

  constructor(
    private readonly idp: SamlConnectionConfig['idp'],
    private readonly deps: { clock: Clock; logger?: Logger; fetch?: typeof fetch },
  ) {}

  /** The description read last, if any (no I/O). */
  peek(): IdpDescription | undefined {
    return this.cached?.value;
  }

  async get(): Promise<IdpDescription> {
    const now = this.deps.clock.now().getTime();
    const fresh = this.cached && (!this.idp.metadataUrl || now - this.cached.at < this.idp.metadataRefreshHours * 3600_000);
    if (this.cached && fresh) return this.cached.value;
    this.loading ??= this.load()
      .then((value) => {
        this.cached = { at: now, value };
        return value;
      })
      .catch((e: unknown) => {
        if (!this.cached) throw e;
        this.deps.logger?.warn({ url: this.idp.metadataUrl, err: String(e) }, 'IdP metadata refresh failed; keeping the last good copy');
        return this.cached.value;
      })
      .finally(() => {
        this.loading = undefined;
      });
    return this.loading;
  }

  private async load(): Promise<IdpDescription> {
    let fromMetadata: Partial<IdpDescription> = {};
    if (this.idp.metadataXml) fromMetadata = parseIdpMetadata(this.idp.metadataXml, this.idp.entityId);
    else if (this.idp.metadataUrl) fromMetadata = parseIdpMetadata(await this.fetchMetadata(this.idp.metadataUrl), this.idp.entityId);
    const entityId = this.idp.entityId ?? fromMetadata.entityId;
    const ssoUrl = this.idp.ssoUrl ?? fromMetadata.ssoUrl;
    const sloUrl = this.idp.sloUrl ?? fromMetadata.sloUrl;
    const certs = (this.idp.certs ?? fromMetadata.certs ?? []).map(certBody).filter(Boolean);
    if (!entityId) throw new Error('IdP entityID is unknown: give idp.entityId or metadata that has it');
    if (!ssoUrl) throw new Error('IdP has no SingleSignOnService with the HTTP-Redirect binding: give idp.ssoUrl');
    if (certs.length === 0) throw new Error('IdP has no signing certificate: give idp.certs or metadata with a signing KeyDescriptor');
    return { entityId, ssoUrl, certs, ...(sloUrl ? { sloUrl } : {}) };
  }

  private async fetchMetadata(url: string): Promise<string> {
    const res = await (this.deps.fetch ?? fetch)(url, { signal: AbortSignal.timeout(10_000), headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' } });
    if (!res.ok) throw new Error(`IdP metadata ${url} answered ${res.status}`);
    return res.text();
  }
}
