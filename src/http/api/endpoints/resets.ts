import { grants } from '../../../services/api-clients.js';
import type { ApiAuditService } from '../../../services/api-audit.js';
import type { ApiResetService } from '../../../services/api-resets.js';
import type { ApiBuilder } from '../builder.js';
import { ApiProblem, problemBody } from '../problems.js';
import { AccountParams, AuditPage, AuditQuery, ResetIssue, ResetParams, ResetStatus, ResetWithLink } from '../schemas.js';

/**
 * What a retry with the same Idempotency-Key gets after a returned link: the link is kept nowhere,
 * so it cannot be replayed; a new reset (which revokes the first link) is the way to get another.
 */
const linkNotReplayed = (resetId: string) => ({
  status: 409,
  body: problemBody('link-not-replayed', `The first request with this Idempotency-Key issued reset ${resetId} and returned its link; `
    + 'a returned link is not kept, so it cannot be sent again. Issue a new reset with a new key: that revokes the first link.'),
});

export function resetEndpoints(api: ApiBuilder, resets: ApiResetService, audit: ApiAuditService): void {
  api.add({
    method: 'post', path: '/partners/{partner}/accounts/{account}/resets', operationId: 'issueReset', tag: 'Resets', scope: 'resets:write',
    summary: 'Send a password reset to an account',
    description: 'Mails a reset link to the account\'s address, exactly as the console\'s "Reset password" does; older open links of the account stop working. '
      + 'Rate limits apply: per account (`rateLimits.issuePerAccount`) and per client, which counts as one admin (`rateLimits.adminIssuePerAdmin`). '
      + 'The body may be left out. With `"delivery": "link"` nothing is mailed and the answer (201) carries the link, for the platform to deliver itself: '
      + 'this needs the scope `resets:link` and a partner whose `outOfBandLinks` is on, and is audited as delivered out of band. '
      + 'Such an answer is never kept for an `Idempotency-Key` replay: a retry with the same key answers 409 `link-not-replayed`.',
    params: AccountParams, body: ResetIssue, bodyOptional: true,
    responses: {
      201: { description: 'The reset was issued and its link is returned (`"delivery": "link"`); nothing was mailed', schema: ResetWithLink },
      202: { description: 'The reset was issued; the mail is on its way', schema: ResetStatus },
    },
    problems: ['rate-limited', 'out-of-band-not-allowed', 'link-not-replayed'],
    async handle({ params, body, caller }) {
      if (body.delivery === 'link' && !grants(caller.client, 'resets:link')) {
        throw new ApiProblem('insufficient-scope', `Returning the link needs the scope resets:link; the client has ${caller.client.scopes.join(', ')}.`, {
          headers: { 'WWW-Authenticate': 'Bearer realm="resetbridge", error="insufficient_scope", scope="resets:link"' },
        });
      }
      const issued = await resets.issue(caller, params.partner, params.account, body.delivery);
      const headers = { Location: `/api/v1/resets/${issued.id}` };
      if (body.delivery === 'mail') return { status: 202, body: issued, headers };
      return { status: 201, body: issued, headers, replayAs: linkNotReplayed(issued.id) };
    },
  });

  api.add({
    method: 'get', path: '/resets/{reset}', operationId: 'getReset', tag: 'Resets', scope: 'resets:read',
    summary: "A reset's status",
    description: 'A reset is forgotten `reset.keepDays` (30) days after its link expired and then answers 404; its audit events stay (`GET /audit`).',
    params: ResetParams,
    responses: { 200: { description: 'The reset', schema: ResetStatus } },
    async handle({ params, caller }) {
      return { status: 200, body: await resets.status(caller, params.reset) };
    },
  });

  api.add({
    method: 'get', path: '/audit', operationId: 'listAuditEvents', tag: 'Audit', scope: 'audit:read',
    summary: 'Read the audit chain',
    description: 'Events oldest first, each holding the hash of the one before. A client restricted to one partner reads that partner\'s events only.',
    query: AuditQuery,
    responses: { 200: { description: 'A page of events', schema: AuditPage } },
    problems: ['not-found'],
    async handle({ query, caller }) {
      const page = await audit.list(caller, {
        limit: query.limit, ...(query.partner ? { partnerId: query.partner } : {}), ...(query.afterSeq !== undefined ? { afterSeq: query.afterSeq } : {}),
      });
      return { status: 200, body: page };
    },
  });
}
