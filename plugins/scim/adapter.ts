// The SCIM adapter: probe, look up, set. HTTP lives in client.ts, the meaning of answers in errors.ts.
import { ConfigurationError, PolicyRejectedError } from '../../src/sync/contract.js';
import type {
  AccountRef, Adapter, Capabilities, DirectoryAccount, Health, PluginContext, SetPasswordOptions, SetPasswordResult,
} from '../../src/sync/contract.js';
import { ScimClient, eqFilter, userPath } from './client.js';
import type { ScimRequest, ScimResponse } from './client.js';
import { errorBody, mapNetworkError, mapResponse } from './errors.js';
import type { Step } from './errors.js';
import type { ScimConfig } from './index.js';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER_ATTRIBUTES = 'id,userName,externalId,emails,meta';
/** How long a ServiceProviderConfig answer is trusted before set asks again. */
const FEATURES_TTL_MS = 5 * 60_000;

const capabilities: Capabilities = { setPassword: true, setRevokesSessions: 'unknown' };

/** The account as this adapter resolves it: meta.version rides along for If-Match. */
export interface ScimAccount extends DirectoryAccount {
  version?: string;
}

interface Features {
  changePassword: boolean;
  patch: boolean;
  filter: boolean;
}

interface ScimUser {
  id: string;
  userName?: unknown;
  externalId?: unknown;
  emails?: unknown;
  meta?: { version?: unknown };
}

type Method = 'GET' | 'PATCH';

export function createScimAdapter(config: ScimConfig, ctx: Pick<PluginContext, 'logger' | 'clock' | 'fetch'>): Adapter {
  const client = new ScimClient({ baseUrl: config.baseUrl, token: config.token, timeoutMs: config.timeoutMs, fetch: ctx.fetch });
  const now = () => ctx.clock.now();
  let features: { value: Features; at: number } | undefined;
  // Flips once when the server refuses `"path":"password"`; later changes use the other form directly.
  let pathForm = true;

  async function call(method: Method, step: Step, label: string, req: ScimRequest): Promise<ScimResponse> {
    try {
      return await client.send(method, req);
    } catch (e) {
      throw mapNetworkError(e, { step, request: label });
    }
  }

  const fail = (res: ScimResponse, step: Step, label: string, password?: string) =>
    mapResponse(res, { step, request: label, now, secrets: [config.token, password] });

  async function loadFeatures(): Promise<Features> {
    const label = 'GET /ServiceProviderConfig';
    const res = await call('GET', 'probe', label, { path: '/ServiceProviderConfig' });
    if (res.status !== 200) throw fail(res, 'probe', label);
    const body = (res.body ?? {}) as Record<string, { supported?: unknown } | undefined>;
    const value = {
      changePassword: body.changePassword?.supported === true,
      patch: body.patch?.supported === true,
      filter: body.filter?.supported === true,
    };
    features = { value, at: now().getTime() };
    return value;
  }

  async function currentFeatures(): Promise<Features> {
    if (features && now().getTime() - features.at < FEATURES_TTL_MS) return features.value;
    return loadFeatures();
  }

  async function currentVersion(id: string): Promise<string | undefined> {
    const label = 'GET /Users/{id}';
    const res = await call('GET', 'read', label, { path: userPath(id), query: { attributes: 'id,meta' } });
    if (res.status !== 200) throw fail(res, 'read', label);
    return versionOf(asUser(res.body, label));
  }

  async function findOne(ref: AccountRef): Promise<ScimAccount | null> {
    if (ref.by === 'id') {
      const label = 'GET /Users/{id}';
      const res = await call('GET', 'read', label, { path: userPath(ref.value), query: { attributes: USER_ATTRIBUTES } });
      if (res.status === 404) return null;
      if (res.status !== 200) throw fail(res, 'read', label);
      return toAccount(asUser(res.body, label));
    }
    const attribute = ref.by === 'login' ? 'userName' : ref.by === 'email' ? config.emailAttribute : ref.by === 'externalId' ? 'externalId' : undefined;
    if (!attribute) {
      throw new ConfigurationError(`Unknown lookup key "${String(ref.by)}".`, { reason: 'BAD_TARGET_CONFIG' });
    }
    const label = `GET /Users?filter=${attribute} eq …`;
    const res = await call('GET', 'lookup', label, {
      path: '/Users',
      // count=2 is enough to tell one match from several; totalResults gives the real number.
      query: { filter: eqFilter(attribute, ref.value), attributes: USER_ATTRIBUTES, count: '2' },
    });
    if (res.status !== 200) throw fail(res, 'lookup', label);
    const { total, users } = asList(res.body, label);
    // A server that ignores the filter answers with everybody: taking the first would reset a stranger.
    if (users.some((u) => !matches(u, ref, attribute))) {
      throw new ConfigurationError(`The SCIM server answered the search on ${attribute} with users that do not match it.`, {
        reason: 'BAD_TARGET_CONFIG', safeDiagnostic: `${label}: the server may not support filtering on ${attribute}`,
      });
    }
    if (total > 1 || users.length > 1) {
      throw new ConfigurationError(`More than one SCIM user matches this account by ${ref.by}.`, {
        reason: 'AMBIGUOUS_USER', safeDiagnostic: `${label}: ${Math.max(total, users.length)} users match`,
      });
    }
    const [user] = users;
    if (!user && total > 0) {
      throw new ConfigurationError('The SCIM server counted a matching user but returned none.', {
        reason: 'BAD_TARGET_CONFIG', safeDiagnostic: `${label}: totalResults ${total}, no Resources`,
      });
    }
    return user ? toAccount(user) : null;
  }

  async function setPassword(account: DirectoryAccount, password: string, opts: SetPasswordOptions): Promise<SetPasswordResult> {
    if (!(await currentFeatures()).changePassword) {
      throw new ConfigurationError('The SCIM server does not support setting passwords.', {
        reason: 'UNSUPPORTED', safeDiagnostic: 'GET /ServiceProviderConfig: changePassword.supported is not true',
      });
    }
    const label = 'PATCH /Users/{id}';
    let version = config.ifMatch ? versionOf(account as ScimAccount) : undefined;
    let reread = false;
    for (;;) {
      const usePath = pathForm;
      const res = await call('PATCH', 'set', label, {
        path: userPath(account.targetUserId),
        body: patchBody(password, usePath),
        ...(version !== undefined ? { ifMatch: version } : {}),
      });
      if (res.status >= 200 && res.status < 300) return { applied: true, sessionsRevoked: 'unknown' };

      const { scimType } = errorBody(res);
      if (res.status === 400 && usePath && (scimType === 'invalidPath' || scimType === 'noTarget')) {
        pathForm = false;
        ctx.logger.warn({ scimType }, 'SCIM server refused the "password" path; using the PATCH form without a path from now on');
        continue;
      }
      if (res.status === 412 && version !== undefined && !reread) {
        // Someone changed the user since the lookup: take the new version and try once more.
        reread = true;
        version = await currentVersion(account.targetUserId);
        continue;
      }
      const err = fail(res, 'set', label, password);
      if (err instanceof PolicyRejectedError && opts.isRetry && err.violations.some((v) => v.reason === 'IN_HISTORY')) {
        // History counts the current password, so a retry refused as "used before" most likely follows a first try that landed.
        return { applied: 'probable', sessionsRevoked: 'unknown' };
      }
      throw err;
    }
  }

  async function testConnection(): Promise<Health> {
    const where = `The SCIM server at ${client.baseUrl}`;
    try {
      const f = await loadFeatures();
      const missing = [
        ...(f.changePassword ? [] : ['does not support setting passwords (changePassword.supported is false)']),
        ...(f.patch ? [] : ['does not support PATCH, which this adapter uses to set passwords']),
        ...(f.filter ? [] : ['does not support filters, which finding users needs']),
      ];
      if (missing.length > 0) return { ok: false, message: `${where} answered, but it ${missing.join('; it ')}.` };
      // The configuration endpoint may be readable without a token, so prove the token on /Users too.
      const label = 'GET /Users';
      const res = await call('GET', 'lookup', label, { path: '/Users', query: { attributes: 'id', count: '1' } });
      if (res.status !== 200) throw fail(res, 'lookup', label);
      return { ok: true, message: `${where} accepts the token and supports password changes, PATCH and filters.` };
    } catch (e) {
      const { message, safeDiagnostic } = e as { message?: string; safeDiagnostic?: string };
      return { ok: false, message: `${message ?? 'The check failed.'} [${client.baseUrl}${safeDiagnostic ? `: ${safeDiagnostic}` : ''}]` };
    }
  }

  return {
    capabilities,
    testConnection,
    resolveAccount: findOne,
    setPassword,
  };
}

function patchBody(password: string, withPath: boolean) {
  const operation = withPath ? { op: 'replace', path: 'password', value: password } : { op: 'replace', value: { password } };
  return { schemas: [PATCH_OP], Operations: [operation] };
}

function asUser(body: unknown, label: string): ScimUser {
  const u = body as Partial<ScimUser> | null;
  if (typeof u !== 'object' || u === null || typeof u.id !== 'string' || u.id === '') {
    throw new ConfigurationError('The SCIM server returned a user without an id.', { reason: 'BAD_TARGET_CONFIG', safeDiagnostic: `${label}: no id` });
  }
  return u as ScimUser;
}

function asList(body: unknown, label: string): { total: number; users: ScimUser[] } {
  const b = body as { totalResults?: unknown; Resources?: unknown } | null;
  if (typeof b !== 'object' || b === null || typeof b.totalResults !== 'number') {
    throw new ConfigurationError('The SCIM server did not answer the search with a ListResponse.', {
      reason: 'BAD_TARGET_CONFIG', safeDiagnostic: `${label}: no totalResults`,
    });
  }
  const resources = Array.isArray(b.Resources) ? b.Resources : [];
  return { total: b.totalResults, users: resources.map((r) => asUser(r, label)) };
}

const lower = (v: unknown) => (typeof v === 'string' ? v.toLowerCase() : undefined);

/** Re-checks a search hit on the client. userName and emails are case-insensitive, externalId exact (RFC 7643 §4.1). */
function matches(u: ScimUser, ref: AccountRef, attribute: string): boolean {
  if (ref.by === 'login') return u.userName === undefined || lower(u.userName) === ref.value.toLowerCase();
  if (ref.by === 'externalId') return u.externalId === undefined || u.externalId === ref.value;
  if (ref.by === 'email' && attribute === 'emails.value' && Array.isArray(u.emails)) {
    return u.emails.some((e: unknown) => lower((e as { value?: unknown } | null)?.value) === ref.value.toLowerCase());
  }
  return true;
}

function versionOf(u: ScimUser | ScimAccount): string | undefined {
  const v = 'targetUserId' in u ? u.version : u.meta?.version;
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function toAccount(u: ScimUser): ScimAccount {
  const version = versionOf(u);
  return {
    targetUserId: u.id,
    canonicalName: typeof u.userName === 'string' ? u.userName : u.id,
    ...(version !== undefined ? { version } : {}),
  };
}
