import { OpenApiGeneratorV31, type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { API_SCOPES } from '../../domain/types.js';

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

const DESCRIPTION = `The licensing platform's API to resetbridge: keep partners, customer companies and accounts in
step, send password resets and read their status, read the audit chain.

**Authentication.** Every call carries an API client's credentials as
\`Authorization: Bearer <client id>.<secret>\`. IdP admins create clients on the **IdP admin → API clients**
page or with \`npx resetbridge clients create\`; the secret is shown once. A client holds scopes
(${API_SCOPES.map((s) => `\`${s}\``).join(', ')}; a \`:write\` scope includes its \`:read\`) and may be
restricted to one partner: anything of another partner then answers 404, as if it did not exist.
Where the operator configured an OAuth 2.0 authorization server (\`api.oauth\`), a JWT access token from it
(client credentials grant) is accepted too, as \`Authorization: Bearer <access token>\`: its scopes are
these same names, and a partner claim restricts it like a restricted client.

**Resets** are mailed to the account. A client holding \`resets:link\` may ask for the link back instead
(\`"delivery": "link"\`), where the partner allows it (\`outOfBandLinks\`); that answer is given once and
is never replayed for an \`Idempotency-Key\`.

**Errors** are RFC 9457 \`application/problem+json\` documents whose \`type\` URI is stable for each
kind of problem; validation problems list each \`{ path, message }\` (a JSON Pointer into the request).

**Idempotency.** A POST may carry \`Idempotency-Key\` (up to 255 characters): a retry with the same key
and body gets the first answer again (with \`Idempotent-Replayed: true\`); the same key with another body
answers 422. Keys are kept for a day (\`api.idempotencyHours\`).

**Lists** are pages in id order: pass \`next\` of one page as \`cursor\` for the following one.
**Deletes** are soft: the record vanishes from the consoles and gets no resets; listing with
\`includeDeleted=true\` shows it, and an upsert by external id brings it back.`;

/** The OpenAPI 3.1 document of every endpoint registered with the builder. */
export function openApiDocument(registry: OpenAPIRegistry, publicUrl: string): OpenApiDocument {
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http', scheme: 'bearer', bearerFormat: '<client id>.<secret>, or a JWT access token',
    description: 'An API client\'s id and secret, joined by a dot; or, with `api.oauth` configured, a JWT access token from that issuer. '
      + 'The scopes each operation needs are listed in its security requirement.',
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'resetbridge API', version: '1', description: DESCRIPTION },
    servers: [{ url: `${publicUrl.replace(/\/$/, '')}/api/v1` }],
    tags: [
      { name: 'Partners', description: 'Resellers; each signs in through its own IdP.' },
      { name: 'Customers', description: "A partner's customer companies, each bound to a directory." },
      { name: 'Accounts', description: "People at a customer company; a reset is sent to an account's email." },
      { name: 'Resets', description: 'Password resets and their status.' },
      { name: 'Audit', description: 'The hash-chained audit log.' },
    ],
  });
}
