// template: a starting point for a new adapter plugin. The "target" is an in-memory map; in a real
// plugin that map is your client seam (client.ts) talking to the directory's API.
import {
  PolicyRejectedError, UserNotFoundError, definePlugin, z,
} from '../../src/sync/contract.js';
import type { AccountRef, Adapter, DirectoryAccount, SetPasswordOptions } from '../../src/sync/contract.js';

export const configSchema = z.strictObject({
  /** Users the fake target starts with. A real plugin would have e.g. a base URL and `token: 'env:NAME'`. */
  users: z.array(z.strictObject({
    id: z.string().min(1),
    login: z.string().min(1),
    email: z.string().optional(),
    password: z.string(),
  })).default([]),
  minLength: z.number().int().min(1).default(8),
});

type Config = z.infer<typeof configSchema>;

export function createTemplate(config: Config): Adapter {
  // Plain text only because this is a toy target that lives in memory; never store passwords like this.
  const users = new Map(config.users.map((u) => [u.id, { ...u }]));
  const same = (a: string | undefined, b: string) => a?.toLowerCase() === b.toLowerCase();

  return {
    capabilities: { setPassword: true, policyHints: true, setRevokesSessions: 'none' },

    async testConnection() {
      // A real plugin makes one cheap, authenticated call here and explains a failure in plain words.
      return { ok: true, message: `In-memory template directory with ${users.size} users.` };
    },

    async resolveAccount(ref: AccountRef) {
      const hits = [...users.values()].filter((u) =>
        ref.by === 'id' ? u.id === ref.value : ref.by === 'email' ? same(u.email, ref.value) : ref.by === 'login' && same(u.login, ref.value));
      const user = hits[0];
      return user ? { targetUserId: user.id, canonicalName: user.login } : null;
    },

    async setPassword(account: DirectoryAccount, password: string, opts: SetPasswordOptions) {
      const user = users.get(account.targetUserId);
      // Map every target answer to one of the contract's error classes; never echo the password.
      if (!user) throw new UserNotFoundError('No such user in the directory.', { safeDiagnostic: `id ${account.targetUserId}` });
      if ([...password].length < config.minLength) {
        throw new PolicyRejectedError([{ reason: 'TOO_SHORT', message: `Use at least ${config.minLength} characters.` }]);
      }
      if (password === user.password) {
        // The first attempt probably landed before its answer was lost.
        if (opts.isRetry) return { applied: 'probable', sessionsRevoked: 'none' };
        throw new PolicyRejectedError([{ reason: 'IN_HISTORY', message: 'Choose a password you have not used before.' }]);
      }
      user.password = password;
      return { applied: true, sessionsRevoked: 'none' };
    },

    async verifyPassword(account: DirectoryAccount, password: string) {
      return users.get(account.targetUserId)?.password === password;
    },

    async policyHints() {
      return { minLength: config.minLength };
    },
  };
}

export default definePlugin({
  name: 'template',
  configSchema,
  create: (config) => createTemplate(config),
});
