import { X509Certificate } from 'node:crypto';
import { AppError, notFound } from '../domain/errors.js';
import type { Clock, RequestContext, Store } from '../domain/ports.js';
import type { SecretBox } from '../domain/secretbox.js';
import type { AdminUser, StoredConnection, StoredOidcSettings, StoredSamlSettings } from '../domain/types.js';
import type { Message } from '../i18n/index.js';
import type { AuditLog } from './audit.js';
import { fieldErrors, oidcForm, samlForm, type FieldErrors, type OidcForm, type SamlForm } from './connection-input.js';

/** The checks made against the IdP before saving (src/auth/connection-probe.ts). */
export interface ConnectionChecks {
  discoverOidc(issuer: string): Promise<void>;
  readSamlMetadata(source: { url: string } | { xml: string }): Promise<{ entityId: string; ssoUrl: string; sloUrl?: string; certs: string[] }>;
}

/** A connection of the configuration file, as the console shows it (read-only). */
export interface ConfiguredConnection {
  id: string;
  partner: string;
  displayName: string;
  type: 'oidc' | 'saml';
}

export interface ConnectionRow {
  id: string;
  partnerId: string;
  partnerName: string;
  kind: 'oidc' | 'saml';
  displayName: string;
  status: 'active' | 'disabled';
  source: 'console' | 'configuration';
  lastSignInAt?: string;
}

export type Kind = 'oidc' | 'saml';

/** A field's message by key, shown in the page's language. */
const refused = (key: string, params?: Message['params']): Message => ({ key: `admin:idp.connections.errors.${key}`, ...(params ? { params } : {}) });
export type SaveResult = { ok: true; id: string } | { ok: false; errors: FieldErrors };

/**
 * SSO connections managed by IdP admins. Secrets (the OIDC client secret, an SP signing key) are
 * sealed before they reach the store and never leave it again: the forms say "leave blank to keep".
 * Every change is an audit event naming what changed, never a secret's value.
 */
export class ConnectionAdminService {
  constructor(private readonly deps: {
    store: Store; audit: AuditLog; clock: Clock; box: SecretBox; checks: ConnectionChecks;
    configured: () => ConfiguredConnection[]; publicUrl: string; allowInsecure: boolean;
  }) {}

  private actor(admin: AdminUser): string {
    if (!admin.roles.includes('idp-admin')) throw new AppError('FORBIDDEN', 403, 'This page is for IdP administrators.');
    return `admin:${admin.email || admin.sub}`;
  }

  async list(admin: AdminUser): Promise<ConnectionRow[]> {
    this.actor(admin);
    const partners = await this.deps.store.listPartners();
    const name = (id: string) => partners.find((p) => p.id === id)?.name ?? id;
    const lastSignIn = new Map<string, string>();
    for (const p of partners) {
      for (const a of await this.deps.store.listAdmins(p.id)) {
        if ((lastSignIn.get(a.connectionId) ?? '') < a.lastSignInAt) lastSignIn.set(a.connectionId, a.lastSignInAt);
      }
    }
    const configured = this.deps.configured();
    const rows: ConnectionRow[] = configured.map((c) => ({
      id: c.id, partnerId: c.partner, partnerName: name(c.partner), kind: c.type, displayName: c.displayName, status: 'active', source: 'configuration',
    }));
    for (const c of await this.deps.store.listConnections()) {
      if (configured.some((x) => x.id === c.id)) continue;
      rows.push({ id: c.id, partnerId: c.partnerId, partnerName: name(c.partnerId), kind: c.settings.type, displayName: c.displayName, status: c.disabled ? 'disabled' : 'active', source: 'console' });
    }
    return rows.map((r) => {
      const at = lastSignIn.get(r.id);
      return at ? { ...r, lastSignInAt: at } : r;
    }).sort((a, b) => a.partnerName.localeCompare(b.partnerName) || a.id.localeCompare(b.id));
  }

  async partners(admin: AdminUser): Promise<Array<{ id: string; name: string }>> {
    this.actor(admin);
    return (await this.deps.store.listPartners()).map((p) => ({ id: p.id, name: p.name }));
  }

  /** A stored connection, or 404 (a configured one is not editable here). */
  async get(admin: AdminUser, id: string): Promise<StoredConnection> {
    this.actor(admin);
    const found = await this.deps.store.getConnection(id);
    if (!found || this.isConfigured(id)) throw notFound('Connection');
    return found;
  }

  configuredOne(id: string): ConfiguredConnection | undefined {
    return this.deps.configured().find((c) => c.id === id);
  }

  private isConfigured(id: string): boolean {
    return this.deps.configured().some((c) => c.id === id);
  }

  /** What to hand to the partner's IdP for this connection. */
  endpoints(id: string): { spMetadataUrl: string; acsUrl: string; redirectUri: string } {
    const base = `${this.deps.publicUrl.replace(/\/$/, '')}/auth/${encodeURIComponent(id)}`;
    return { spMetadataUrl: `${base}/saml/metadata`, acsUrl: `${base}/saml/acs`, redirectUri: `${base}/callback` };
  }

  /** SHA-256 fingerprints of the IdP's signing certificates, for comparing with what the partner says. */
  fingerprints(certs: string[]): string[] {
    return certs.map((c) => {
      try {
        return new X509Certificate(Buffer.from(c, 'base64')).fingerprint256;
      } catch {
        return 'not a readable certificate';
      }
    });
  }

  async save(admin: AdminUser, kind: Kind, existingId: string | undefined, raw: Record<string, string>, ctx: RequestContext): Promise<SaveResult> {
    const actor = this.actor(admin);
    const existing = existingId ? await this.get(admin, existingId) : undefined;
    if (existing && existing.settings.type !== kind) throw notFound('Connection');
    const input = { ...raw, ...(existing ? { id: existing.id } : {}) };
    const parsed = kind === 'oidc' ? oidcForm.safeParse(input) : samlForm.safeParse(input);
    if (!parsed.success) return { ok: false, errors: fieldErrors(parsed.error) };
    const form = parsed.data;
    const errors: FieldErrors = {};
    if (!existing && (this.isConfigured(form.id) || await this.deps.store.getConnection(form.id))) errors.id = refused('idTaken', { id: form.id });
    if (!(await this.deps.store.getPartner(form.partnerId))) errors.partnerId = refused('unknownPartner');
    if (!form.partnerAdminValues.length && !form.idpAdminValues.length) errors.partnerAdminValues = refused('noRoleValue');
    if (Object.keys(errors).length) return { ok: false, errors };

    const settings = kind === 'oidc'
      ? await this.oidcSettings(form as OidcForm, existing, errors)
      : await this.samlSettings(form as SamlForm, existing, errors);
    if (!settings || Object.keys(errors).length) return { ok: false, errors };

    const now = this.deps.clock.now().toISOString();
    const record: StoredConnection = {
      id: form.id, partnerId: form.partnerId, displayName: form.displayName, settings,
      createdAt: existing?.createdAt ?? now, createdBy: existing?.createdBy ?? actor, updatedAt: now, updatedBy: actor,
      ...(existing?.disabled ? { disabled: true } : {}),
    };
    await this.deps.store.saveConnection(record);
    await this.deps.audit.record({
      type: existing ? 'sso.connection.updated' : 'sso.connection.created', outcome: 'success', actor, partnerId: record.partnerId,
      target: `connection:${record.id}`, detail: { kind, changed: changedFields(existing, record).join(' ') },
    }, ctx);
    return { ok: true, id: record.id };
  }

  private async oidcSettings(f: OidcForm, existing: StoredConnection | undefined, errors: FieldErrors): Promise<StoredOidcSettings | undefined> {
    const before = existing?.settings.type === 'oidc' ? existing.settings : undefined;
    if (!f.clientSecret && !before) errors.clientSecret = refused('clientSecret');
    if (!this.deps.allowInsecure && !f.issuer.startsWith('https://')) errors.issuer = refused('issuerHttps');
    if (Object.keys(errors).length) return undefined;
    try {
      await this.deps.checks.discoverOidc(f.issuer);
    } catch (e) {
      errors.issuer = refused('discovery', { reason: (e as Error).message });
      return undefined;
    }
    return {
      type: 'oidc', issuer: f.issuer, clientId: f.clientId,
      clientSecretSealed: f.clientSecret ? this.deps.box.seal(f.clientSecret) : before!.clientSecretSealed,
      tokenEndpointAuth: f.tokenEndpointAuth, scope: f.scope, roleClaim: f.roleClaim,
      roles: { 'partner-admin': f.partnerAdminValues, 'idp-admin': f.idpAdminValues },
    };
  }

  private async samlSettings(f: SamlForm, existing: StoredConnection | undefined, errors: FieldErrors): Promise<StoredSamlSettings | undefined> {
    const before = existing?.settings.type === 'saml' ? existing.settings : undefined;
    if (f.metadataSource === 'url' && !this.deps.allowInsecure && !f.metadataUrl.startsWith('https://')) {
      errors.metadataUrl = refused('metadataHttps');
    }
    const keepKey = before?.spKeySealed && !f.spKey;
    if (f.signAuthnRequests && !f.spKey && !keepKey) errors.spKey = refused('spKeyNeeded');
    if (f.signAuthnRequests && !f.spCert && !before?.spCert) errors.spCert = refused('spCertNeeded');
    if (f.spCert && !isCertificate(f.spCert)) errors.spCert = refused('notCertificate');
    if (Object.keys(errors).length) return undefined;
    let idp: StoredSamlSettings['idp'];
    try {
      idp = await this.deps.checks.readSamlMetadata(f.metadataSource === 'url' ? { url: f.metadataUrl } : { xml: f.metadataXml });
    } catch (e) {
      errors[f.metadataSource === 'url' ? 'metadataUrl' : 'metadataXml'] = refused('metadataUnusable', { reason: (e as Error).message });
      return undefined;
    }
    const spKeySealed = f.spKey ? this.deps.box.seal(f.spKey) : before?.spKeySealed;
    const spCert = f.spCert || before?.spCert;
    return {
      type: 'saml', idp,
      ...(f.metadataSource === 'url' ? { metadataUrl: f.metadataUrl } : { metadataXml: f.metadataXml }),
      signAuthnRequests: f.signAuthnRequests,
      ...(spKeySealed ? { spKeySealed } : {}), ...(spCert ? { spCert } : {}),
      wantResponseSigned: f.wantResponseSigned, wantAssertionsSigned: f.wantAssertionsSigned,
      allowIdpInitiated: f.allowIdpInitiated, clockSkewSeconds: f.clockSkewSeconds, roleAttribute: f.roleClaim,
      roles: { 'partner-admin': f.partnerAdminValues, 'idp-admin': f.idpAdminValues },
    };
  }

  async setDisabled(admin: AdminUser, id: string, disabled: boolean, ctx: RequestContext): Promise<void> {
    const actor = this.actor(admin);
    const found = await this.get(admin, id);
    const { disabled: _was, ...rest } = found;
    await this.deps.store.saveConnection({ ...rest, ...(disabled ? { disabled: true } : {}), updatedAt: this.deps.clock.now().toISOString(), updatedBy: actor });
    await this.deps.audit.record({
      type: disabled ? 'sso.connection.disabled' : 'sso.connection.enabled', outcome: 'success', actor, partnerId: found.partnerId,
      target: `connection:${id}`, detail: { kind: found.settings.type },
    }, ctx);
  }

  async remove(admin: AdminUser, id: string, ctx: RequestContext): Promise<void> {
    const actor = this.actor(admin);
    const found = await this.get(admin, id);
    await this.deps.store.deleteConnection(id);
    await this.deps.audit.record({
      type: 'sso.connection.deleted', outcome: 'success', actor, partnerId: found.partnerId, target: `connection:${id}`, detail: { kind: found.settings.type },
    }, ctx);
  }
}

function isCertificate(pem: string): boolean {
  try {
    return !!new X509Certificate(pem);
  } catch {
    return false;
  }
}

/** Names of the settings that differ (a secret counts as changed when a new one was given). */
function changedFields(before: StoredConnection | undefined, after: StoredConnection): string[] {
  const flat = (c: StoredConnection | undefined): Record<string, string> => {
    if (!c) return {};
    const { settings, ...top } = c;
    const out: Record<string, string> = { partnerId: top.partnerId, displayName: top.displayName };
    for (const [k, v] of Object.entries(settings)) out[k] = JSON.stringify(v);
    return out;
  };
  const a = flat(before);
  const b = flat(after);
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).map((k) => k.replace(/Sealed$/, '')).sort();
}
