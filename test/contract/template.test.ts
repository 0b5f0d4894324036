import plugin from '../../plugins/template/index.js';
import { adapterContract } from './adapter.js';

const quiet = { info() {}, warn() {}, error() {} };

adapterContract('template', async () => {
  const config = plugin.configSchema.parse({
    minLength: 10,
    users: [{ id: '1', login: 'alice', email: 'alice@example.com', password: 'Initial-Pass-1' }],
  });
  const adapter = await plugin.create(config, { logger: quiet, clock: { now: () => new Date() }, fetch, dataDir: '/nonexistent' });
  return {
    adapter,
    existing: { by: 'login', value: 'Alice' },
    missing: { by: 'email', value: 'nobody@example.com' },
    initialPassword: 'Initial-Pass-1',
    goodPassword: 'Another-Good-Pass-2',
    policyViolatingPassword: 'short',
    // The in-memory target has no outside view, so the adapter's own check is the target's check.
    verify: (account, password) => adapter.verifyPassword!(account, password),
    teardown: async () => {},
  };
});
