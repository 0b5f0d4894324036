import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import plugin, { createLocalDirectory } from '../../plugins/local-directory/index.js';
import { DirectoryFile, readDirectoryFile, seedDirectory, verifyHash } from '../../plugins/local-directory/directory.js';
import type { Adapter, PluginContext } from '../../src/sync/contract.js';
import { adapterContract } from './adapter.js';

const INITIAL = 'Initial-Passw0rd-42';
const quiet = { info() {}, warn() {}, error() {} };

async function tempDir() {
  return mkdtemp(join(tmpdir(), 'local-directory-'));
}

async function seeded(dir: string) {
  await seedDirectory(join(dir, 'dir.json'), [
    { id: 'u1', login: 'Alice', email: 'Alice@Example.com', externalId: 'EXT-1', password: INITIAL },
    { id: 'u2', login: 'bob', email: 'bob@example.com' },
  ]);
}

function ctxFor(dataDir: string): PluginContext {
  return { logger: quiet, clock: { now: () => new Date() }, fetch, dataDir };
}

async function create(dataDir: string, config: object): Promise<Adapter> {
  return plugin.create(plugin.configSchema.parse(config), ctxFor(dataDir));
}

adapterContract('local-directory', async () => {
  const dir = await tempDir();
  await seeded(dir);
  const adapter = await create(dir, { file: 'dir.json', historySize: 2, minLength: 12 });
  // Checks the file itself with a separate reader, not the adapter under test.
  const independent = new DirectoryFile(join(dir, 'dir.json'));
  return {
    adapter,
    existing: { by: 'login', value: 'alice' },
    missing: { by: 'login', value: 'nobody' },
    initialPassword: INITIAL,
    goodPassword: 'Fresh-Correct-Horse-7',
    policyViolatingPassword: 'short1',
    async verify(account, password) {
      const entry = await independent.findById(account.targetUserId);
      return entry !== undefined && verifyHash(password, entry.passwordHash);
    },
    teardown: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('local-directory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir();
    await seeded(dir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const opts = (isRetry = false) => ({ reason: 'self-service' as const, attemptId: 'a1', isRetry });

  it('finds by login and email ignoring case, by externalId and id exactly', async () => {
    const a = await create(dir, { file: 'dir.json' });
    expect(await a.resolveAccount({ by: 'email', value: 'alice@example.COM' })).toEqual({ targetUserId: 'u1', canonicalName: 'Alice' });
    expect(await a.resolveAccount({ by: 'login', value: 'ALICE' })).not.toBeNull();
    expect(await a.resolveAccount({ by: 'externalId', value: 'EXT-1' })).not.toBeNull();
    expect(await a.resolveAccount({ by: 'externalId', value: 'ext-1' })).toBeNull();
    expect(await a.resolveAccount({ by: 'id', value: 'U1' })).toBeNull();
  });

  it('stores only scrypt hashes with their parameters', async () => {
    const raw = await readFile(join(dir, 'dir.json'), 'utf8');
    expect(raw).not.toContain(INITIAL);
    const [entry] = (await readDirectoryFile(join(dir, 'dir.json'))).entries;
    expect(entry?.passwordHash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  });

  it('refuses the current and the last historySize passwords, with the history message', async () => {
    const a = await create(dir, { file: 'dir.json', historySize: 1 });
    const account = { targetUserId: 'u1', canonicalName: 'Alice' };
    await expect(a.setPassword(account, INITIAL, opts())).rejects.toMatchObject({
      class: 'P', violations: [{ reason: 'IN_HISTORY', message: 'This password was used recently. Choose one you have not used before.' }],
    });
    await a.setPassword(account, 'Second-Password-1', opts());
    await expect(a.setPassword(account, INITIAL, opts())).rejects.toMatchObject({ class: 'P' });
    await a.setPassword(account, 'Third-Password-1', opts());
    // historySize 1: only the previous one is remembered now, so the first is allowed again.
    await expect(a.setPassword(account, 'Second-Password-1', opts())).rejects.toMatchObject({ class: 'P' });
    expect(await a.setPassword(account, INITIAL, opts())).toEqual({ applied: true, sessionsRevoked: 'none' });
  });

  it('reports the current password on a retry as probably applied', async () => {
    const a = await create(dir, { file: 'dir.json' });
    const account = { targetUserId: 'u1', canonicalName: 'Alice' };
    expect(await a.setPassword(account, INITIAL, opts(true))).toEqual({ applied: 'probable', sessionsRevoked: 'none' });
  });

  it('gives an entry seeded without a password a hash nobody knows', async () => {
    const a = await create(dir, { file: 'dir.json' });
    const bob = { targetUserId: 'u2', canonicalName: 'bob' };
    expect(await a.verifyPassword!(bob, '')).toBe(false);
    expect((await readDirectoryFile(join(dir, 'dir.json'))).entries[1]?.passwordHash).toMatch(/^scrypt\$/);
  });

  it('states its minimum length as a policy hint', async () => {
    expect(await (await create(dir, { file: 'dir.json', minLength: 10 })).policyHints!()).toEqual({ minLength: 10 });
  });

  it('reports a missing file as not ok in testConnection and as a configuration error on lookup', async () => {
    const a = createLocalDirectory({ file: 'nope.json', historySize: 0 }, { dataDir: dir });
    const health = await a.testConnection();
    expect(health).toEqual({ ok: false, message: expect.stringContaining('does not exist') });
    await expect(a.resolveAccount({ by: 'login', value: 'alice' })).rejects.toMatchObject({ class: 'C' });
  });

  it('reports a file that is not JSON as a configuration error', async () => {
    await writeFile(join(dir, 'dir.json'), '{ not json');
    const a = await create(dir, { file: 'dir.json' });
    expect((await a.testConnection()).ok).toBe(false);
    await expect(a.resolveAccount({ by: 'login', value: 'alice' })).rejects.toMatchObject({ class: 'C' });
  });

  it('keeps both changes when two accounts change at once', async () => {
    const a = await create(dir, { file: 'dir.json' });
    await Promise.all([
      a.setPassword({ targetUserId: 'u1', canonicalName: 'Alice' }, 'Alice-New-Password-1', opts()),
      a.setPassword({ targetUserId: 'u2', canonicalName: 'bob' }, 'Bob-New-Password-1', opts()),
    ]);
    const file = new DirectoryFile(join(dir, 'dir.json'));
    expect(await verifyHash('Alice-New-Password-1', (await file.findById('u1'))!.passwordHash)).toBe(true);
    expect(await verifyHash('Bob-New-Password-1', (await file.findById('u2'))!.passwordHash)).toBe(true);
  });

  it('rejects unknown config keys', () => {
    expect(plugin.configSchema.safeParse({ file: 'x.json', histroySize: 3 }).success).toBe(false);
  });
});
