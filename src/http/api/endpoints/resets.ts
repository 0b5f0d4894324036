import type { ApiAuditService } from '../../../services/api-audit.js';
import type { ApiResetService } from '../../../services/api-resets.js';
import type { ApiBuilder } from '../builder.js';
import { AccountParams, AuditPage, AuditQuery, ResetParams, ResetStatus } from '../schemas.js';

export function resetEndpoints(api: ApiBuilder, resets: ApiResetService, audit: ApiAuditService): void {
  api.add({
    method: 'post', path: '/partners/{partner}/accounts/{account}/resets', operationId: 'issueReset', tag: 'Resets', scope: 'resets:write',
    summary: 'Send a password reset to an account',
    description: 'Mails a reset link to the account\'s address, exactly as the console\'s "Reset password" does; older open links of the account stop working. '
      + 'Rate limits apply: per account (`rateLimits.issuePerAccount`) and per client, which counts as one admin (`rateLimits.adminIssuePerAdmin`). '
      + 'The link itself is never returned.',
    params: AccountParams,
    responses: { 202: { description: 'The reset was issued; the mail is on its way', schema: ResetStatus } },
    problems: ['rate-limited'],
    async handle({ params, caller }) {
      const status = await resets.issue(caller, params.partner, params.account);
      return { status: 202, body: status, headers: { Location: `/api/v1/resets/${status.id}` } };
    },
  });

  api.add({
    method: 'get', path: '/resets/{reset}', operationId: 'getReset', tag: 'Resets', scope: 'resets:read',
    summary: "A reset's status",
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
