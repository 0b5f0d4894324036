import { describe } from 'vitest';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { SKIP_NOTICE, databaseUrl, freshSchema, silentLogger, testSettings } from './store-postgres-fixture.js';
import { storeContract } from './store.js';

if (!databaseUrl) console.info(SKIP_NOTICE);

describe.skipIf(!databaseUrl)('PostgreSQL', () => {
  storeContract('postgres', async () => {
    const schema = await freshSchema();
    const store = await PostgresStore.open(testSettings(schema.url), silentLogger);
    return Object.assign(store, {
      // A second pool on the same schema: what another instance behind the load balancer has.
      twin: () => PostgresStore.open(testSettings(schema.url), silentLogger),
      destroy: schema.drop,
    });
  });
});
