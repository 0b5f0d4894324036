import express, { Router } from 'express';
import type { ApiAuditService } from '../../services/api-audit.js';
import type { ApiClientService } from '../../services/api-clients.js';
import type { OAuthTokenVerifier } from '../../services/api-oauth.js';
import type { ApiResetService } from '../../services/api-resets.js';
import type { IdempotencyService } from '../../services/idempotency.js';
import type { AccountProvisioning } from '../../services/provisioning-accounts.js';
import type { CustomerProvisioning } from '../../services/provisioning-customers.js';
import type { PartnerProvisioning } from '../../services/provisioning.js';
import type { Logger } from '../../sync/contract.js';
import { authenticate } from './auth.js';
import { ApiBuilder } from './builder.js';
import { DOCS_CSS, renderDocs } from './docs.js';
import { accountEndpoints } from './endpoints/accounts.js';
import { customerEndpoints } from './endpoints/customers.js';
import { partnerEndpoints } from './endpoints/partners.js';
import { resetEndpoints } from './endpoints/resets.js';
import { idempotency } from './idempotency.js';
import { openApiDocument } from './openapi.js';
import { apiErrorHandler, apiNotFound } from './problems.js';

export interface ApiServices {
  clients: ApiClientService;
  partners: PartnerProvisioning;
  customers: CustomerProvisioning;
  accounts: AccountProvisioning;
  resets: ApiResetService;
  audit: ApiAuditService;
  idempotency: IdempotencyService;
  /** Set with `api.oauth`: JWT access tokens from that authorization server are accepted too. */
  oauth?: OAuthTokenVerifier;
}

export interface ApiDeps {
  services: ApiServices;
  logger: Logger;
  publicUrl: string;
  /** Retry-After for a rate-limited reset when the limiter does not say: the longest issuing window. */
  retryAfterSeconds: number;
}

/** A bulk call of 10,000 accounts is a few MB of JSON; this leaves room without inviting abuse. */
const BODY_LIMIT = '16mb';

/**
 * The REST API under /api: `/api/v1/…` for API clients (bearer credentials, JSON, problem+json
 * errors), `/api/v1/openapi.json` and `/api/docs` for anyone. No cookies, sessions or CSRF tokens:
 * mount it before those.
 */
export function apiRoutes(deps: ApiDeps): Router {
  const { services, logger } = deps;
  const api = new ApiBuilder(idempotency(services.idempotency, logger));
  partnerEndpoints(api, services.partners);
  customerEndpoints(api, services.customers);
  accountEndpoints(api, services.accounts);
  resetEndpoints(api, services.resets, services.audit);
  const document = openApiDocument(api.registry, deps.publicUrl);
  const docs = renderDocs(document);

  const router = Router();
  router.get('/v1/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(document);
  });
  router.get('/docs', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').type('html').send(docs);
  });
  router.get('/docs.css', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').type('css').send(DOCS_CSS);
  });
  router.use('/v1', (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  // Credentials before the body: an unauthenticated caller cannot make us parse megabytes.
  router.use('/v1', authenticate(services.clients, services.oauth, logger), express.json({ limit: BODY_LIMIT, type: ['application/json', 'application/*+json'] }), api.router);
  router.use(apiNotFound);
  router.use(apiErrorHandler(logger, { retryAfterSeconds: deps.retryAfterSeconds }));
  return router;
}
