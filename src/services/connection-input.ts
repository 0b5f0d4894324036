import { z } from 'zod';
import type { Message } from '../i18n/index.js';

// The IdP admin's connection forms, field by field. Every message names what to fix; a field's
// message is shown next to that field. Messages are resource keys (admin:idp.connections.errors.*),
// rendered in the reader's language by the form.

const E = (key: string) => `admin:idp.connections.errors.${key}`;

const text = (max: number) => z.string().trim().max(max, E('tooLong'));
const required = (max: number, what: string) => text(max).min(1, what);
const checkbox = z.string().optional().transform((v) => v === 'on' || v === 'true');
/** Values one per line or comma-separated. */
const values = z.string().optional().transform((v) => [...new Set((v ?? '').split(/[\n,]+/).map((x) => x.trim()).filter(Boolean))].slice(0, 50));

const common = {
  id: z.string().trim().regex(/^[a-z0-9-]{2,60}$/, E('id')),
  partnerId: required(100, E('partner')),
  displayName: required(100, E('displayName')),
  partnerAdminValues: values,
  idpAdminValues: values,
};

const httpUrl = z.string().trim().url(E('url')).refine((u) => /^https?:\/\//.test(u), E('httpsUrl'));

export const oidcForm = z.object({
  ...common,
  issuer: httpUrl,
  clientId: required(300, E('clientId')),
  clientSecret: z.string().max(1000, E('tooLong')).optional().transform((v) => v ?? ''),
  tokenEndpointAuth: z.enum(['client_secret_basic', 'client_secret_post'], E('tokenAuth')),
  scope: text(300).optional().transform((v) => v || 'openid email profile')
    .refine((v) => v.split(/\s+/).includes('openid'), E('openid')),
  roleClaim: text(100).optional().transform((v) => v || 'groups'),
});

export const samlForm = z.object({
  ...common,
  metadataSource: z.enum(['url', 'xml'], E('metadataSource')),
  metadataUrl: z.string().trim().optional().transform((v) => v ?? ''),
  metadataXml: z.string().max(500_000, E('metadataTooLarge')).optional().transform((v) => (v ?? '').trim()),
  signAuthnRequests: checkbox,
  spKey: z.string().max(20_000).optional().transform((v) => (v ?? '').trim()),
  spCert: z.string().max(20_000).optional().transform((v) => (v ?? '').trim()),
  wantResponseSigned: checkbox,
  wantAssertionsSigned: checkbox,
  allowIdpInitiated: checkbox,
  clockSkewSeconds: z.coerce.number(E('seconds')).int(E('wholeSeconds')).min(0, E('min')).max(600, E('max')),
  roleClaim: text(200).optional().transform((v) => v || 'groups'),
}).superRefine((f, ctx) => {
  if (f.metadataSource === 'url' && !/^https?:\/\/\S+$/.test(f.metadataUrl)) ctx.addIssue({ code: 'custom', path: ['metadataUrl'], message: E('metadataUrl') });
  if (f.metadataSource === 'xml' && !f.metadataXml) ctx.addIssue({ code: 'custom', path: ['metadataXml'], message: E('metadataXml') });
});

export type OidcForm = z.output<typeof oidcForm>;
export type SamlForm = z.output<typeof samlForm>;

/** Field → first message, for the form (a resource message, or words from a check done elsewhere). */
export type FieldErrors = Record<string, string | Message>;

export function fieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? 'form');
    if (!issue.message.startsWith('admin:')) {
      out[key] ??= issue.message;
      continue;
    }
    const max = issue.code === 'too_big' ? Number(issue.maximum) : undefined;
    out[key] ??= { key: issue.message, ...(max !== undefined ? { params: { max } } : {}) };
  }
  return out;
}

/** The form's raw fields as strings (a repeated field keeps its first value). */
export function formStrings(body: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (k === '_csrf') continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === 'string') out[k] = first;
  }
  return out;
}
