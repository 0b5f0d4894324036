import plugin from '../../plugins/scim/index.js';
import { startScimServer } from '../support/scim-server.js';
import { adapterContract } from './adapter.js';

const quiet = { info() {}, warn() {}, error() {} };
const INITIAL = 'Initial-Scim-Pass-1';

adapterContract('scim', async () => {
  const server = await startScimServer({
    minLength: 12,
    historySize: 2,
    users: [
      { userName: 'alice@acme.example', password: INITIAL, emails: ['alice@acme.example'], externalId: 'acme-0001' },
      { userName: 'bob@acme.example', password: 'Bob-Initial-Pass-1' },
    ],
  });
  const adapter = await plugin.create(
    plugin.configSchema.parse({ baseUrl: server.url, token: server.token, allowInsecureHttp: true }),
    { logger: quiet, clock: { now: () => new Date() }, fetch, dataDir: '/nonexistent' },
  );
  return {
    adapter,
    existing: { by: 'login', value: 'Alice@Acme.example' },
    missing: { by: 'login', value: 'nobody@acme.example' },
    initialPassword: INITIAL,
    goodPassword: 'Fresh-Scim-Passphrase-7',
    policyViolatingPassword: 'Tiny-9',
    // The server's own hash check, not anything the adapter keeps.
    verify: (account, password) => server.checkPassword(account.targetUserId, password),
    teardown: () => server.stop(),
  };
});
