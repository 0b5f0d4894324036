import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Account, Customer, Partner } from '../src/domain/types.js';
import { LowdbStore } from '../src/store/lowdb/index.js';
import { seedDirectory } from '../plugins/local-directory/directory.js';

export interface Fixture {
  dataDir: string;
  partners: Partner[];
  customers: Customer[];
  accounts: Account[];
}

/** A data folder holding `accounts` accounts over `customers` companies of two partners, and the demo directory. */
export async function buildFixture(accounts: number, customers: number): Promise<Fixture> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'resetbridge-bench-'));
  const partners: Partner[] = [
    { id: 'alpha', name: 'Alpha Partners', domains: ['alpha.example'], selfService: true },
    { id: 'beta', name: 'Beta Partners', domains: ['beta.example'], selfService: true },
  ];
  const cs: Customer[] = Array.from({ length: customers }, (_, i) => ({
    id: `cus_${i}`, partnerId: partners[i % 2]!.id, name: `Company ${i}`, country: 'Nowhere',
    directory: { instance: 'bench-directory', mapping: 'login' },
  }));
  const as: Account[] = Array.from({ length: accounts }, (_, i) => {
    const c = cs[i % customers]!;
    return { id: `acc_${i}`, partnerId: c.partnerId, customerId: c.id, name: `Person ${i}`, login: `person.${i}`, email: `person.${i}@company${i % customers}.example` };
  });
  const store = await LowdbStore.open(dataDir);
  await store.importTenants({ partners, customers: cs, accounts: as });
  await store.close();
  await seedDirectory(path.join(dataDir, 'directory.json'), as.map((a) => ({ id: a.id, login: a.login, email: a.email })));
  return { dataDir, partners, customers: cs, accounts: as };
}
