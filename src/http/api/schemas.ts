// The API's shapes, once: requests are validated with them and the OpenAPI document is generated
// from them (src/http/api/openapi.ts), so the two cannot drift apart. `.meta({ id })` names a
// schema in the document's components.
import { validTimeZone } from '../../i18n/locales.js';
import { z } from 'zod';

export const BULK_LIMIT = 10_000;

const text = (max: number) => z.string().trim().min(1).max(max);
const timestamp = z.iso.datetime({ offset: true });

export const partnerIdSchema = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, - and _, up to 63')
  .meta({ description: "The partner's id, chosen by the platform; it is also what `sso.connections[].partner` names." });
/** Our ids for companies and accounts: printable ASCII without spaces or slashes. */
const rowId = z.string().regex(/^[\x21-\x2e\x30-\x7e]{1,100}$/, 'an id as this API returns it');
export const externalIdSchema = z.string().regex(/^[\x21-\x2e\x30-\x7e]{1,200}$/, 'printable ASCII without spaces or slashes, up to 200')
  .meta({ description: "The licensing platform's own id for the record; unique within the partner." });
const domain = z.string().trim().toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'a domain name such as example.com');
const email = z.email().max(320);

// ---- partners -------------------------------------------------------------------------------

export const Partner = z.object({
  id: partnerIdSchema,
  name: z.string(),
  domains: z.array(z.string()).meta({ description: 'Email domains of the partner\'s admins: sign-in sends them to the partner\'s IdP.' }),
  disabled: z.boolean().optional(),
  selfService: z.boolean().optional(),
  outOfBandLinks: z.boolean().optional(),
  defaultLocale: z.string().optional(),
  deletedAt: timestamp.optional(),
}).meta({ id: 'Partner' });

/** A language tag (BCP 47, e.g. `ja`, `de-AT`); one resetbridge does not speak falls through to the next choice. */
const locale = z.string().max(35).regex(/^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$/, 'a language tag such as ja or de-AT')
  .meta({ description: 'Language of pages and mails (BCP 47, e.g. `ja`, `de-AT`). Spoken now: en, ja, de, fr, es; others fall through to the next choice.' });
const timeZone = z.string().max(64).refine((v) => validTimeZone(v) !== undefined, 'an IANA time zone such as Asia/Tokyo')
  .meta({ description: 'IANA time zone (e.g. `Asia/Tokyo`) for times in mails and pages; UTC when unset.' });

const partnerFields = {
  name: text(200),
  domains: z.array(domain).max(50).meta({ description: 'Each domain belongs to one partner only.' }),
  disabled: z.boolean().optional().meta({ description: "Refuses the partner's admins at sign-in and ends their sessions." }),
  selfService: z.boolean().optional().meta({ description: 'Users may ask for a reset themselves ("Forgot your password?").' }),
  defaultLocale: locale.optional().meta({ description: "Language of its companies' pages and mails, after the account's and the company's own." }),
  outOfBandLinks: z.boolean().optional().meta({
    description: 'A client with the scope `resets:link` may ask for a reset\'s link back (`"delivery": "link"`) instead of having it mailed. Off unless set.',
  }),
};

export const PartnerCreate = z.strictObject({ id: partnerIdSchema, ...partnerFields }).meta({ id: 'PartnerCreate' });
export const PartnerPut = z.strictObject(partnerFields).meta({ id: 'PartnerPut' });
export const PartnerPatch = z.strictObject({
  name: partnerFields.name.optional(),
  domains: partnerFields.domains.optional(),
  disabled: z.boolean().nullable().optional(),
  selfService: z.boolean().nullable().optional(),
  outOfBandLinks: z.boolean().nullable().optional(),
  defaultLocale: locale.nullable().optional(),
}).meta({ id: 'PartnerPatch', description: 'Fields left out stay as they are; `null` removes an optional field.' });

// ---- customers ------------------------------------------------------------------------------

export const DirectoryBinding = z.strictObject({
  instance: text(100).meta({ description: 'A directory instance id from `directories[]` in the configuration.' }),
  mapping: text(200).meta({ description: 'How the directory identity is derived: `login`, `email`, `externalId`, or a template such as `{login}@corp.example`.' }),
}).meta({ id: 'DirectoryBinding' });

export const Customer = z.object({
  id: z.string(),
  partnerId: z.string(),
  externalId: z.string().optional(),
  name: z.string(),
  country: z.string().optional(),
  selfService: z.boolean().optional(),
  directory: DirectoryBinding.optional(),
  defaultLocale: z.string().optional(),
  deletedAt: timestamp.optional(),
}).meta({ id: 'Customer' });

const customerFields = {
  name: text(200),
  country: text(100).optional(),
  selfService: z.boolean().optional().meta({ description: "Overrides the partner's self-service setting for this company." }),
  directory: DirectoryBinding.optional(),
  defaultLocale: locale.optional().meta({ description: "Language of the company's pages and mails, unless an account has its own." }),
};

export const CustomerCreate = z.strictObject({ externalId: externalIdSchema.optional(), ...customerFields }).meta({ id: 'CustomerCreate' });
export const CustomerPatch = z.strictObject({
  externalId: externalIdSchema.nullable().optional(),
  name: customerFields.name.optional(),
  country: customerFields.country.unwrap().nullable().optional(),
  selfService: z.boolean().nullable().optional(),
  directory: DirectoryBinding.nullable().optional(),
  defaultLocale: locale.nullable().optional(),
}).meta({ id: 'CustomerPatch', description: 'Fields left out stay as they are; `null` removes an optional field.' });
export const CustomerUpsert = z.strictObject({
  name: customerFields.name,
  country: customerFields.country.unwrap().nullable().optional(),
  selfService: z.boolean().nullable().optional(),
  directory: DirectoryBinding.nullable().optional(),
  defaultLocale: locale.nullable().optional(),
}).meta({ id: 'CustomerUpsert', description: 'Creates the company or updates it (a deleted one comes back). Optional fields left out stay as they are; `null` removes one.' });
export const CustomerBulkRecord = CustomerUpsert.extend({ externalId: externalIdSchema }).meta({ id: 'CustomerBulkRecord' });

// ---- accounts -------------------------------------------------------------------------------

export const Account = z.object({
  id: z.string(),
  partnerId: z.string(),
  customerId: z.string(),
  externalId: z.string().optional(),
  name: z.string(),
  login: z.string(),
  email: z.string(),
  lastResetAt: timestamp.optional(),
  locale: z.string().optional(),
  timeZone: z.string().optional(),
  deletedAt: timestamp.optional(),
}).meta({ id: 'Account' });

const accountFields = { name: text(200), login: text(200), email };
/** Optional on create; on a patch or an upsert `null` removes them, left out they stay. */
const accountLanguage = {
  locale: locale.nullable().optional().meta({ description: "The user's own language: the first choice for their pages and mails." }),
  timeZone: timeZone.nullable().optional(),
};

export const AccountCreate = z.strictObject({
  customerId: rowId, externalId: externalIdSchema.optional(), ...accountFields, locale: locale.optional(), timeZone: timeZone.optional(),
}).meta({ id: 'AccountCreate' });
export const AccountPatch = z.strictObject({
  customerId: rowId.optional(),
  externalId: externalIdSchema.nullable().optional(),
  name: accountFields.name.optional(),
  login: accountFields.login.optional(),
  email: email.optional(),
  ...accountLanguage,
}).meta({ id: 'AccountPatch', description: 'Fields left out stay as they are; `null` removes the external id.' });

const companyReference = <T extends { customerId?: unknown; customerExternalId?: unknown }>(a: T) =>
  (a.customerId === undefined) !== (a.customerExternalId === undefined);
const companyReferenceProblem = { message: 'Name the company by customerId or by customerExternalId (one of them).', path: ['customerId'] };

const accountUpsertShape = { customerId: rowId.optional(), customerExternalId: externalIdSchema.optional(), ...accountFields, ...accountLanguage };
export const AccountUpsert = z.strictObject(accountUpsertShape).refine(companyReference, companyReferenceProblem)
  .meta({ id: 'AccountUpsert', description: 'Creates the account or replaces its fields (a deleted one comes back). The company by our id or by the platform\'s.' });
export const AccountBulkRecord = z.strictObject({ ...accountUpsertShape, externalId: externalIdSchema })
  .refine(companyReference, companyReferenceProblem).meta({ id: 'AccountBulkRecord' });

// ---- bulk -----------------------------------------------------------------------------------

/** Checked as a whole first; each record is then checked on its own, so one bad record fails alone. */
export const BulkEnvelope = z.strictObject({ records: z.array(z.unknown()).min(1).max(BULK_LIMIT) });
export const bulkRequest = (record: z.ZodType, id: string) =>
  z.strictObject({ records: z.array(record).min(1).max(BULK_LIMIT) }).meta({ id, description: `Up to ${BULK_LIMIT.toLocaleString('en')} records, matched by externalId.` });

export const ProblemDetail = z.object({ path: z.string().meta({ description: 'JSON Pointer into the request: `/body/…`, `/query/…` or `/params/…`.' }), message: z.string() })
  .meta({ id: 'ProblemDetail' });

export const BulkResult = z.object({
  index: z.number().int().meta({ description: 'Position of the record in `records`.' }),
  externalId: z.string().nullable(),
  status: z.enum(['created', 'updated', 'restored', 'failed']),
  id: z.string().optional().meta({ description: 'Our id of the record; absent when it failed.' }),
  errors: z.array(ProblemDetail).optional().meta({ description: 'Why the record failed; nothing of it was applied.' }),
}).meta({ id: 'BulkResult' });

export const BulkResponse = z.object({
  summary: z.object({ created: z.number().int(), updated: z.number().int(), restored: z.number().int(), failed: z.number().int() }),
  results: z.array(BulkResult),
}).meta({ id: 'BulkResponse' });

// ---- resets, audit, lists, problems ---------------------------------------------------------

export const ResetStatus = z.object({
  id: z.string(),
  partnerId: z.string(),
  customerId: z.string(),
  accountId: z.string(),
  flow: z.enum(['admin', 'self-service']),
  status: z.enum(['issued', 'opened', 'redeemed', 'expired', 'revoked']).meta({
    description: 'issued: mailed, not opened yet; opened: the user reached the form; redeemed: the password was set; expired; revoked: replaced by a newer link, or the account was deleted.',
  }),
  createdAt: timestamp,
  expiresAt: timestamp,
  openedAt: timestamp.optional(),
  redeemedAt: timestamp.optional(),
  revokedAt: timestamp.optional(),
  sync: z.array(z.object({ target: z.string(), status: z.string() }).catchall(z.unknown())).nullable()
    .meta({ description: 'Per-target directory writes of the new password. Reserved: null for now.' }),
}).meta({ id: 'ResetStatus' });

export const ResetIssue = z.strictObject({
  delivery: z.enum(['mail', 'link']).default('mail').meta({
    description: '`mail` (the default) mails the link to the account. `link` mails nothing and returns the link in the answer, '
      + 'for the platform to deliver by its own channel: it needs the scope `resets:link` and a partner with `outOfBandLinks`.',
  }),
}).meta({ id: 'ResetIssue' });

export const ResetWithLink = ResetStatus.extend({
  link: z.object({
    url: z.url().meta({ description: 'The live link. It is returned this once and kept nowhere; hand it only to the account\'s user.' }),
    expiresAt: timestamp,
  }),
}).meta({ id: 'ResetWithLink' });

export const AuditEvent = z.object({
  seq: z.number().int(),
  at: timestamp,
  type: z.string(),
  outcome: z.enum(['success', 'failure', 'info']),
  actor: z.string(),
  partnerId: z.string().optional(),
  target: z.string().optional(),
  ip: z.string().optional(),
  userAgent: z.string().optional(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  prev: z.string(),
  hash: z.string(),
}).meta({ id: 'AuditEvent' });

export const AuditPage = z.object({ items: z.array(AuditEvent), next: z.number().int().nullable().meta({ description: 'Pass as `afterSeq` for the next page; null on the last.' }) })
  .meta({ id: 'AuditPage' });

export const listOf = (item: z.ZodType, id: string) =>
  z.object({ items: z.array(item), next: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last.' }) }).meta({ id });

export const Problem = z.object({
  type: z.url(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  errors: z.array(ProblemDetail).optional(),
  correlationId: z.string().optional(),
}).meta({ id: 'Problem', description: 'RFC 9457 problem details; `type` is stable for each kind of problem.' });

// ---- parameters -----------------------------------------------------------------------------

const flag = z.enum(['true', 'false']).optional();

export const pageQuery = {
  cursor: z.string().max(500).optional().meta({ description: 'From `next` of the previous page.' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  includeDeleted: flag.meta({ description: 'Also soft-deleted records (they carry `deletedAt`).' }),
};

export const PartnerParams = z.object({ partner: partnerIdSchema });
export const CustomerParams = z.object({ partner: partnerIdSchema, customer: rowId });
export const AccountParams = z.object({ partner: partnerIdSchema, account: rowId });
export const ExternalParams = z.object({ partner: partnerIdSchema, externalId: externalIdSchema });
export const ResetParams = z.object({ reset: z.uuid() });

export const PartnersQuery = z.object({ ...pageQuery });
export const CustomersQuery = z.object({ ...pageQuery, q: z.string().max(200).optional().meta({ description: 'Name contains, ignoring case.' }), externalId: externalIdSchema.optional() });
export const AccountsQuery = z.object({
  ...pageQuery, customerId: rowId.optional(), externalId: externalIdSchema.optional(),
  email: z.string().max(320).optional().meta({ description: 'Equal, ignoring case.' }), login: z.string().max(200).optional().meta({ description: 'Equal, ignoring case.' }),
});
export const AuditQuery = z.object({
  partner: partnerIdSchema.optional(),
  afterSeq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
