import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LowdbStore } from '../../src/store/lowdb/index.js';
import { storeContract } from './store.js';

storeContract('lowdb', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'resetbridge-store-'));
  const store = await LowdbStore.open(dir);
  return Object.assign(store, { destroy: async () => rmSync(dir, { recursive: true, force: true }) });
});
