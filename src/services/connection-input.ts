import { z } from 'zod';

// The IdP admin's connection forms, field by field. Every message names what to fix; a field's
// message is shown next to that field.

const text = (max: number) => z.string().trim().max(max, `at most ${max} characters`);
const required = (max: number, what: string) => text(max).min(1, what);
const checkbox = z.string().optional().transform((v) => v === 'on' || v === 'true');
/** Values one per line or comma-separated. */
const values = z.string().optional().transform((v) => [...new Set((v ?? '').split(/[\n,]+/).map((x) => x.trim()).filter(Boolean))].slice(0, 50));

const common = {
  id: z.string().trim().regex(/^[a-z0-9-]{2,60}$/, 'Use 2 to 60 lowercase letters, digits and dashes, e.g. globex-saml.'),
  partnerId: required(100, 'Choose the partner whose admins sign in through it.'),
  displayName: required(100, 'Give the name shown on the sign-in button.'),
  partnerAdminValues: values,
  idpAdminValues: values,
};

const httpUrl = z.string().trim().url('Enter a full URL such as https://idp.example.com/…').refine((u) => /^https?:\/\//.test(u), 'Enter an https:// URL.');

export const oidcForm = z.object({
  ...common,
  issuer: httpUrl,
  clientId: required(300, 'Enter the client id the IdP gave you.'),
  clientSecret: z.string().max(1000, 'at most 1000 characters').optional().transform((v) => v ?? ''),
  tokenEndpointAuth: z.enum(['client_secret_basic', 'client_secret_post'], 'Choose how resetbridge authenticates at the token endpoint.'),
  scope: text(300).optional().transform((v) => v || 'openid email profile')
    .refine((v) => v.split(/\s+/).includes('openid'), 'The scopes must include openid.'),
  roleClaim: text(100).optional().transform((v) => v || 'groups'),
});

export const samlForm = z.object({
  ...common,
  metadataSource: z.enum(['url', 'xml'], 'Choose where the IdP metadata comes from.'),
  metadataUrl: z.string().trim().optional().transform((v) => v ?? ''),
  metadataXml: z.string().max(500_000, 'The metadata is too large (500 kB at most).').optional().transform((v) => (v ?? '').trim()),
  signAuthnRequests: checkbox,
  spKey: z.string().max(20_000).optional().transform((v) => (v ?? '').trim()),
  spCert: z.string().max(20_000).optional().transform((v) => (v ?? '').trim()),
  wantResponseSigned: checkbox,
  wantAssertionsSigned: checkbox,
  allowIdpInitiated: checkbox,
  clockSkewSeconds: z.coerce.number('Enter a number of seconds.').int('Enter whole seconds.').min(0, 'At least 0 seconds.').max(600, 'At most 600 seconds.'),
  roleClaim: text(200).optional().transform((v) => v || 'groups'),
}).superRefine((f, ctx) => {
  if (f.metadataSource === 'url' && !/^https?:\/\/\S+$/.test(f.metadataUrl)) ctx.addIssue({ code: 'custom', path: ['metadataUrl'], message: 'Enter the URL of the IdP metadata, e.g. https://idp.example.com/saml/metadata.' });
  if (f.metadataSource === 'xml' && !f.metadataXml) ctx.addIssue({ code: 'custom', path: ['metadataXml'], message: 'Paste the IdP metadata XML.' });
});

export type OidcForm = z.output<typeof oidcForm>;
export type SamlForm = z.output<typeof samlForm>;

/** Field → first message, for the form. */
export type FieldErrors = Record<string, string>;

export function fieldErrors(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = String(issue.path[0] ?? 'form');
    out[key] ??= issue.message;
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
