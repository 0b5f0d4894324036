import { createHash } from 'node:crypto';
import type { Message } from '../i18n/index.js';
import { checkBrandColour, parseHexColour, type BrandColours } from '../domain/colour.js';
import { AppError, notFound } from '../domain/errors.js';
import type { Clock, RequestContext, Store } from '../domain/ports.js';
import { hashToken } from '../domain/tokens.js';
import type { AdminUser, BrandLogo, Branding, Customer, Partner } from '../domain/types.js';
import type { AuditLog } from './audit.js';
import { checkLogo, extensionOf, fetchLogo } from './logo.js';

/** What pages and mails show, with every fallback already applied. */
export interface Brand {
  /** The display name; the partner's own name when none is set. Absent on pages with no partner. */
  name?: string;
  /** `path` for pages (same origin), `url` for mails (absolute, from the public URL). */
  logo?: { path: string; url: string; alt: string };
  colours: BrandColours;
  /** The stylesheet carrying the colours; absent for the product's own. */
  stylesheet?: string;
  support: { email?: string; url?: string; phone?: string };
  senderName?: string;
  replyTo?: string;
}

export const DEFAULT_COLOURS: BrandColours = { primary: '#1f5fbf', onPrimary: '#ffffff', linksOnLight: true, buttonOnDark: false };
export const DEFAULT_BRAND: Brand = { colours: DEFAULT_COLOURS, support: {} };

export interface BrandingInput {
  displayName: string;
  primaryColor: string;
  supportEmail: string;
  supportUrl: string;
  supportPhone: string;
  senderName: string;
  replyTo: string;
}

const FIELDS = ['displayName', 'primaryColor', 'supportEmail', 'supportUrl', 'supportPhone', 'senderName', 'replyTo'] as const;
const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;
const PHONE = /^\+?[0-9][0-9 ()./-]{2,30}$/;
// No control characters anywhere: names end up in mail headers.
const CONTROL = /[\u0000-\u001f\u007f]/;

function requireIdpAdmin(admin: AdminUser): void {
  if (!admin.roles.includes('idp-admin')) throw new AppError('FORBIDDEN', 403, 'This page is for IdP administrators.');
}

/** The fields set on the more specific record win, one by one. */
function merge(partner: Branding | undefined, customer: Branding | undefined): Partial<Branding> {
  const out: Partial<Branding> = { ...partner };
  for (const [k, v] of Object.entries(customer ?? {})) if (v !== undefined && v !== '') (out as Record<string, unknown>)[k] = v;
  if (customer?.logoHash) out.logoType = customer.logoType;
  return out;
}

/**
 * Branding of the hosted pages and mails: resolution (company override → partner → product
 * default) for the public side, and the IdP admin's edits. IdP admins operate every partner.
 */
export class BrandingService {
  constructor(private readonly deps: { store: Store; audit: AuditLog; clock: Clock; publicUrl: string; fetch?: typeof fetch }) {}

  async forTenant(partnerId: string, customerId?: string): Promise<Brand> {
    const { store } = this.deps;
    const partner = await store.getPartner(partnerId);
    if (!partner) return DEFAULT_BRAND;
    const [own, override] = await Promise.all([store.getBranding(partnerId), customerId ? store.getBranding(partnerId, customerId) : undefined]);
    return this.brand(partner, merge(own, override));
  }

  /** The brand for the company a reset link belongs to, whatever state the link is in. */
  async forResetToken(token: string): Promise<Brand | undefined> {
    const reset = await this.deps.store.findResetByHash(hashToken(token));
    return reset ? this.forTenant(reset.partnerId, reset.customerId) : undefined;
  }

  /** The brand of the account a mail goes to (its company's override when there is one). */
  async forAccount(partnerId: string, accountId?: string): Promise<Brand> {
    const account = accountId ? await this.deps.store.getAccount(partnerId, accountId) : undefined;
    return this.forTenant(partnerId, account?.customerId);
  }

  logo(partnerId: string, hash: string): Promise<BrandLogo | undefined> {
    return this.deps.store.getBrandLogo(partnerId, hash);
  }

  private brand(partner: Partner, b: Partial<Branding>): Brand {
    const name = b.displayName || partner.name;
    const checked = b.primaryColor ? checkBrandColour(b.primaryColor) : undefined;
    const colours = checked?.ok ? checked.colours : DEFAULT_COLOURS;
    const logoPath = b.logoHash && b.logoType
      ? `/brand/logo/${encodeURIComponent(partner.id)}/${b.logoHash}.${extensionOf(b.logoType)}` : undefined;
    return {
      name,
      ...(logoPath ? { logo: { path: logoPath, url: new URL(logoPath, this.deps.publicUrl).href, alt: name } } : {}),
      colours,
      ...(colours !== DEFAULT_COLOURS ? { stylesheet: `/brand/theme/${colours.primary.slice(1)}.css` } : {}),
      support: {
        ...(b.supportEmail ? { email: b.supportEmail } : {}), ...(b.supportUrl ? { url: b.supportUrl } : {}), ...(b.supportPhone ? { phone: b.supportPhone } : {}),
      },
      ...(b.senderName ? { senderName: b.senderName } : {}),
      ...(b.replyTo ? { replyTo: b.replyTo } : {}),
    };
  }

  // ---- the IdP admin's pages ----

  async overview(admin: AdminUser) {
    requireIdpAdmin(admin);
    const partners = (await this.deps.store.listPartners()).filter((p) => !p.deletedAt);
    return Promise.all(partners.map(async (p) => {
      const records = await this.deps.store.listBrandings(p.id);
      const customers = (await this.deps.store.listCustomers(p.id, { page: 1, pageSize: 1_000_000 })).items;
      const names = new Map(customers.map((c) => [c.id, c.name]));
      return {
        partner: p,
        own: records.find((r) => !r.customerId),
        overrides: records.filter((r) => r.customerId).map((r) => ({ ...r, customerName: names.get(r.customerId ?? '') ?? r.customerId })),
        customers: customers.map((c) => ({ id: c.id, name: c.name })),
      };
    }));
  }

  /** The record an edit page starts from, and what it falls back to. */
  async editor(admin: AdminUser, partnerId: string, customerId?: string) {
    requireIdpAdmin(admin);
    const { partner, customer } = await this.tenant(partnerId, customerId);
    const record = await this.deps.store.getBranding(partnerId, customerId);
    return { partner, customer, record, effective: await this.forTenant(partnerId, customerId) };
  }

  private async tenant(partnerId: string, customerId?: string): Promise<{ partner: Partner; customer?: Customer }> {
    const partner = await this.deps.store.getPartner(partnerId);
    if (!partner) throw notFound('Partner');
    if (!customerId) return { partner };
    const customer = await this.deps.store.getCustomer(partnerId, customerId);
    if (!customer) throw notFound('Company');
    return { partner, customer };
  }

  /** Returns a message for the form when the input is not usable; nothing is changed then. */
  async save(admin: AdminUser, partnerId: string, customerId: string | undefined, input: BrandingInput, ctx: RequestContext): Promise<string | Message | undefined> {
    const refused = (key: string): Message => ({ key: `admin:idp.branding.errors.${key}` });
    requireIdpAdmin(admin);
    await this.tenant(partnerId, customerId);
    const v = Object.fromEntries(FIELDS.map((f) => [f, input[f].trim()])) as unknown as BrandingInput;
    if (FIELDS.some((f) => CONTROL.test(v[f]))) return refused('control');
    if (v.displayName.length > 80) return refused('displayName');
    let colour: string | undefined;
    if (v.primaryColor) {
      colour = parseHexColour(v.primaryColor);
      if (!colour) return refused('colour');
      const checked = checkBrandColour(colour);
      if (!checked.ok) return checked.text;
    }
    if (v.supportEmail && (!EMAIL.test(v.supportEmail) || v.supportEmail.length > 254)) return refused('supportEmail');
    if (v.supportUrl && !isHttpsUrl(v.supportUrl)) return refused('supportUrl');
    if (v.supportPhone && !PHONE.test(v.supportPhone)) return refused('supportPhone');
    if (v.senderName.length > 64) return refused('senderName');
    if (v.replyTo && (!EMAIL.test(v.replyTo) || v.replyTo.length > 254)) return refused('replyTo');

    const before = await this.deps.store.getBranding(partnerId, customerId);
    const next: Branding = {
      partnerId, ...(customerId ? { customerId } : {}),
      ...(before?.logoHash ? { logoHash: before.logoHash, logoType: before.logoType } : {}),
      ...(v.displayName ? { displayName: v.displayName } : {}),
      ...(colour ? { primaryColor: colour } : {}),
      ...(v.supportEmail ? { supportEmail: v.supportEmail } : {}),
      ...(v.supportUrl ? { supportUrl: v.supportUrl } : {}),
      ...(v.supportPhone ? { supportPhone: v.supportPhone } : {}),
      ...(v.senderName ? { senderName: v.senderName } : {}),
      ...(v.replyTo ? { replyTo: v.replyTo } : {}),
      updatedAt: this.deps.clock.now().toISOString(), updatedBy: admin.email,
    };
    await this.deps.store.saveBranding(next);
    const changed = FIELDS.filter((f) => (before?.[f] ?? '') !== (next[f] ?? ''));
    await this.record(admin, partnerId, customerId, 'branding.changed', { fields: changed.join(',') || '(none)' }, ctx);
    return undefined;
  }

  /** Uploaded bytes or bytes fetched from an https address; refused with a message unless PNG, JPEG or WebP within the limit. */
  async setLogo(admin: AdminUser, partnerId: string, customerId: string | undefined, source: { bytes: Buffer } | { address: string }, ctx: RequestContext): Promise<Message | undefined> {
    requireIdpAdmin(admin);
    await this.tenant(partnerId, customerId);
    let bytes: Buffer;
    if ('address' in source) {
      const fetched = await fetchLogo(source.address, this.deps.fetch ? { fetch: this.deps.fetch } : {});
      if (!fetched.ok) return fetched.text;
      bytes = fetched.bytes;
    } else {
      bytes = source.bytes;
    }
    const checked = checkLogo(bytes);
    if (!checked.ok) return checked.text;
    const now = this.deps.clock.now().toISOString();
    const hash = createHash('sha256').update(bytes).digest('hex');
    await this.deps.store.saveBrandLogo({ partnerId, hash, contentType: checked.type, bytes, createdAt: now });
    const before = await this.deps.store.getBranding(partnerId, customerId);
    await this.deps.store.saveBranding({
      ...(before ?? { partnerId, ...(customerId ? { customerId } : {}) }), logoHash: hash, logoType: checked.type, updatedAt: now, updatedBy: admin.email,
    });
    await this.record(admin, partnerId, customerId, 'branding.logo-changed', { type: checked.type, bytes: bytes.length, source: 'address' in source ? 'address' : 'upload' }, ctx);
    return undefined;
  }

  async removeLogo(admin: AdminUser, partnerId: string, customerId: string | undefined, ctx: RequestContext): Promise<void> {
    requireIdpAdmin(admin);
    await this.tenant(partnerId, customerId);
    const before = await this.deps.store.getBranding(partnerId, customerId);
    if (!before?.logoHash) return;
    const { logoHash: _h, logoType: _t, ...rest } = before;
    await this.deps.store.saveBranding({ ...rest, updatedAt: this.deps.clock.now().toISOString(), updatedBy: admin.email });
    await this.record(admin, partnerId, customerId, 'branding.logo-removed', {}, ctx);
  }

  /** A company's override removed: it follows the partner's branding again. */
  async removeOverride(admin: AdminUser, partnerId: string, customerId: string, ctx: RequestContext): Promise<void> {
    requireIdpAdmin(admin);
    await this.tenant(partnerId, customerId);
    await this.deps.store.deleteBranding(partnerId, customerId);
    await this.record(admin, partnerId, customerId, 'branding.override-removed', {}, ctx);
  }

  private async record(admin: AdminUser, partnerId: string, customerId: string | undefined, type: string, detail: Record<string, string | number>, ctx: RequestContext) {
    await this.deps.audit.record({
      type, outcome: 'success', actor: `admin:${admin.email}`, partnerId, target: customerId ? `customer:${customerId}` : `partner:${partnerId}`, detail,
    }, ctx);
  }
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:' && value.length <= 500;
  } catch {
    return false;
  }
}
