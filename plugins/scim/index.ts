// scim: writes passwords through a SCIM 2.0 service provider (RFC 7643/7644), as ADAPTERS.md §2 describes.
import { definePlugin, z } from '../../src/sync/contract.js';
import { createScimAdapter } from './adapter.js';

export const configSchema = z.strictObject({
  /** The SCIM root, e.g. `https://idp.example/scim/v2` (the adapter appends `/Users`, `/ServiceProviderConfig`). */
  baseUrl: z.url(),
  /** A static bearer token issued by the SCIM server. Configure it as `env:NAME` or `file:PATH`, never inline. */
  token: z.string().regex(/^[\x21-\x7e]+$/, 'the token must be printable ASCII without spaces or line breaks'),
  /** Per request, connect to last byte. The sync engine's own deadline still bounds the whole change. */
  timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
  /** Send `If-Match: <meta.version>` with the password change when the server returns versions. */
  ifMatch: z.boolean().default(true),
  /** The attribute the `email` mapping rule searches; `emails.value` matches any of a user's addresses. */
  emailAttribute: z.string().regex(/^[A-Za-z][\w$-]*(\.[A-Za-z][\w$-]*)?$/, 'an attribute path such as emails.value').default('emails.value'),
  /** Allows an `http://` base URL. The token and passwords then cross the network readable: for a local test server only. */
  allowInsecureHttp: z.boolean().default(false),
}).superRefine((c, ctx) => {
  // An invalid URL is already reported by z.url(); these checks need a parsed one.
  if (!URL.canParse(c.baseUrl)) return;
  const url = new URL(c.baseUrl);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && c.allowInsecureHttp)) {
    ctx.addIssue({
      code: 'custom', path: ['baseUrl'],
      message: url.protocol === 'http:' ? 'use https:// (http:// sends the token and passwords in clear text)' : 'must be an https:// URL',
    });
  }
  if (url.username || url.password) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'must not carry credentials; use token' });
  if (url.search || url.hash) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'must not have a query or fragment' });
});

export type ScimConfig = z.infer<typeof configSchema>;

export { createScimAdapter };

export default definePlugin({
  name: 'scim',
  configSchema,
  create: (config, ctx) => createScimAdapter(config, ctx),
});
