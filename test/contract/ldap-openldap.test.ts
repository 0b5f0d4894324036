// The shared adapter contract against a real slapd (ppolicy: 12 characters, 3 remembered passwords).
import { afterAll } from 'vitest';
import plugin from '../../plugins/ldap/index.js';
import type { PluginContext } from '../../src/sync/contract.js';
import { startSlapd, type Slapd } from '../support/slapd.js';
import { adapterContract } from './adapter.js';

const INITIAL = 'Initial-Passw0rd-42';
const ctx: PluginContext = { logger: { info() {}, warn() {}, error() {} }, clock: { now: () => new Date() }, fetch, dataDir: '/nonexistent' };

let server: Promise<Slapd> | undefined;
let cases = 0;
afterAll(async () => {
  await (await server)?.dispose();
});

adapterContract('ldap (openldap, slapd with ppolicy)', async () => {
  server ??= startSlapd({ minLength: 12, inHistory: 3 });
  const slapd = await server;
  // A fresh entry per case: ppolicy's history makes a reused one remember earlier cases.
  const uid = `user${++cases}`;
  await slapd.addUser(uid, INITIAL);
  const adapter = await plugin.create(plugin.configSchema.parse({
    mode: 'openldap',
    url: slapd.ldapUrl,
    tls: { caCert: slapd.caCert },
    bindDn: slapd.serviceDn,
    bindPassword: slapd.servicePassword,
    baseDn: slapd.baseDn,
  }), ctx);
  return {
    adapter,
    existing: { by: 'login', value: uid },
    missing: { by: 'login', value: 'nobody' },
    initialPassword: INITIAL,
    goodPassword: 'Fresh-Correct-Horse-7',
    policyViolatingPassword: 'short1',
    verify: (account, password) => slapd.canBind(account.targetUserId, password),
    teardown: async () => {},
  };
});
