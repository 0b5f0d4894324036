import type { Clock, Store } from '../domain/ports.js';
import { ApiAuditService } from './api-audit.js';
import { ApiClientService } from './api-clients.js';
import { OAuthTokenVerifier, type OAuthSettings } from './api-oauth.js';
import { ApiResetService } from './api-resets.js';
import type { AuditLog } from './audit.js';
import { IdempotencyService } from './idempotency.js';
import { AccountProvisioning } from './provisioning-accounts.js';
import { CustomerProvisioning } from './provisioning-customers.js';
import { PartnerProvisioning } from './provisioning.js';
import type { ResetService } from './reset.js';

/** Everything the REST API calls, built from the composition root's parts. */
export function createApiServices(deps: {
  store: Store;
  audit: AuditLog;
  clock: Clock;
  reset: ResetService;
  knownDirectory: (id: string) => boolean;
  idempotencyHours: number;
  /** `api.oauth`: also accept JWT access tokens from this authorization server. */
  oauth?: OAuthSettings | undefined;
}) {
  const { store, audit, clock } = deps;
  const provisioning = { store, audit, clock, knownDirectory: deps.knownDirectory };
  return {
    clients: new ApiClientService({ store, audit, clock }),
    partners: new PartnerProvisioning(provisioning),
    customers: new CustomerProvisioning(provisioning),
    accounts: new AccountProvisioning(provisioning),
    resets: new ApiResetService({ store, reset: deps.reset, clock }),
    audit: new ApiAuditService(store),
    idempotency: new IdempotencyService({ store, clock, ttlSeconds: Math.round(deps.idempotencyHours * 3600) }),
    ...(deps.oauth ? { oauth: new OAuthTokenVerifier(deps.oauth, { clock }) } : {}),
  };
}
