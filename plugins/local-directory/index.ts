// local-directory: the demo's own small directory, a lowdb JSON file of scrypt-hashed passwords.
import { resolve } from 'node:path';
import {
  ConfigurationError, PolicyRejectedError, TransientError, UserNotFoundError, definePlugin, z,
} from '../../src/sync/contract.js';
import type {
  AccountRef, Adapter, Capabilities, DirectoryAccount, Health, PluginContext, SetPasswordOptions, SetPasswordResult,
} from '../../src/sync/contract.js';
import { DirectoryFile, DirectoryFileError, hashPassword, verifyHash } from './directory.js';
import type { DirectoryEntry } from './directory.js';

export const configSchema = z.strictObject({
  /** The JSON file; a relative path is taken from the data folder. */
  file: z.string().min(1),
  /** Earlier passwords refused besides the current one (which is always refused). */
  historySize: z.number().int().min(0).max(24).default(0),
  minLength: z.number().int().min(1).max(1024).optional(),
});

export type LocalDirectoryConfig = z.infer<typeof configSchema>;

const capabilities: Capabilities = { setPassword: true, policyHints: true, setRevokesSessions: 'none' };

const IN_HISTORY = 'This password was used recently. Choose one you have not used before.';

export function createLocalDirectory(config: LocalDirectoryConfig, ctx: Pick<PluginContext, 'dataDir'>): Adapter {
  const files = new DirectoryFile(resolve(ctx.dataDir, config.file));
  const { historySize, minLength } = config;

  return {
    capabilities,

    async testConnection(): Promise<Health> {
      try {
        const count = await files.checkAccess();
        return { ok: true, message: `The directory file is readable and writable and holds ${count} entries.` };
      } catch (e) {
        return { ok: false, message: explain(e, files.file) };
      }
    },

    resolveAccount: (ref: AccountRef) => guard(files.file, async () => {
      const found = await files.find(matcher(ref));
      if (found.length > 1) {
        throw new ConfigurationError('More than one directory entry matches this account.', {
          reason: 'AMBIGUOUS_USER', safeDiagnostic: `${found.length} entries match by ${ref.by}`,
        });
      }
      const entry = found[0];
      return entry ? toAccount(entry) : null;
    }),

    setPassword: (account: DirectoryAccount, password: string, opts: SetPasswordOptions) => guard(files.file, async () => {
      if (minLength !== undefined && [...password].length < minLength) {
        throw new PolicyRejectedError([
          { reason: 'TOO_SHORT', message: `This password is too short. Use at least ${minLength} characters.` },
        ]);
      }
      return files.update(async (data): Promise<SetPasswordResult> => {
        const entry = data.entries.find((e) => e.id === account.targetUserId);
        if (!entry) throw notFound(account);
        const history = Array.isArray(entry.history) ? entry.history.slice(0, historySize) : [];
        const recent = [entry.passwordHash, ...history];
        const [isCurrent, ...inHistory] = await Promise.all(recent.map((h) => verifyHash(password, h)));
        // A retry after an unknown outcome that finds its own password in place: the first attempt landed.
        if (isCurrent && opts.isRetry) return { applied: 'probable', sessionsRevoked: 'none' };
        if (isCurrent || inHistory.some(Boolean)) {
          throw new PolicyRejectedError([{ reason: 'IN_HISTORY', message: IN_HISTORY }]);
        }
        entry.history = recent.slice(0, historySize);
        entry.passwordHash = await hashPassword(password);
        return { applied: true, sessionsRevoked: 'none' };
      });
    }),

    verifyPassword: (account: DirectoryAccount, password: string) => guard(files.file, async () => {
      const entry = await files.findById(account.targetUserId);
      if (!entry) throw notFound(account);
      return verifyHash(password, entry.passwordHash);
    }),

    async policyHints() {
      return minLength !== undefined ? { minLength } : {};
    },
  };
}

function matcher(ref: AccountRef): (e: DirectoryEntry) => boolean {
  const sameText = (a: string | undefined) => typeof a === 'string' && a.toLowerCase() === ref.value.toLowerCase();
  switch (ref.by) {
    case 'login': return (e) => sameText(e.login);
    case 'email': return (e) => sameText(e.email);
    case 'externalId': return (e) => e.externalId === ref.value;
    case 'id': return (e) => e.id === ref.value;
    default: throw new ConfigurationError(`Unknown lookup key "${String(ref.by)}".`, { reason: 'BAD_TARGET_CONFIG' });
  }
}

const toAccount = (e: DirectoryEntry): DirectoryAccount => ({ targetUserId: e.id, canonicalName: e.login });

const notFound = (account: DirectoryAccount) =>
  new UserNotFoundError('The directory file has no entry with this id.', { safeDiagnostic: `id ${account.targetUserId}` });

/** Maps file-system failures to the contract's classes; the engine switches only on those. */
async function guard<T>(file: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (isAdapterError(e)) throw e;
    const code = errnoCode(e);
    if (code && TRANSIENT_CODES.has(code)) {
      throw new TransientError('The directory file is busy.', { reason: 'UNAVAILABLE', providerCode: code });
    }
    if (e instanceof DirectoryFileError || code) {
      throw new ConfigurationError(explain(e, file), {
        reason: 'BAD_TARGET_CONFIG', ...(code ? { providerCode: code } : {}), safeDiagnostic: explain(e, file),
      });
    }
    throw e;
  }
}

const TRANSIENT_CODES = new Set(['EBUSY', 'EAGAIN', 'EMFILE', 'ENFILE']);

function explain(e: unknown, file: string): string {
  if (e instanceof DirectoryFileError) return e.message;
  switch (errnoCode(e)) {
    case 'ENOENT': return `The directory file ${file} does not exist.`;
    case 'EACCES':
    case 'EPERM':
    case 'EROFS': return `The service may not read and replace ${file}: the file and its folder must be writable.`;
    case 'ENOSPC': return `The disk holding ${file} is full.`;
    case undefined: return `The directory file ${file} cannot be used.`;
    default: return `The directory file ${file} cannot be used (${errnoCode(e)}).`;
  }
}

function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('E') ? code : undefined;
}

function isAdapterError(e: unknown): boolean {
  const cls = (e as { class?: unknown } | null)?.class;
  return cls === 'P' || cls === 'T' || cls === 'C' || cls === 'NF';
}

export default definePlugin({
  name: 'local-directory',
  configSchema,
  create: (config, ctx) => createLocalDirectory(config, ctx),
});
