// The one suite every Store implementation passes (lowdb: store-lowdb.test.ts, PostgreSQL:
// store-postgres.test.ts). Each case gets an empty store seeded with two partners, "north" and
// "south", whose data overlap on purpose (same login, same email) so a missing partner filter shows.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe } from 'vitest';
import type { TenantImporter } from '../../src/demo/index.js';
import type { Store } from '../../src/domain/ports.js';
import type { Account, Customer, Partner, ResetRecord } from '../../src/domain/types.js';
import { connectionCases } from './store-connections.js';
import { provisioningCases } from './store-provisioning.js';
import { auditAndOutboxCases } from './store-records.js';
import { resetCases } from './store-resets.js';
import { sessionCases } from './store-sessions.js';
import { syncCases } from './store-syncs.js';
import { brandingCases } from './store-branding.js';
import { tenantCases } from './store-tenants.js';
import { webhookCases } from './store-webhooks.js';

export type ContractStore = Store & TenantImporter & {
  /** A second handle on the same data, as another instance has one; absent when one process owns the data. */
  twin?(): Promise<Store>;
  /** Removes what `open` made; called after `close()`. */
  destroy?(): Promise<void>;
};

export interface Ctx {
  store: ContractStore;
  /** The twin when there is one, else the store itself: concurrent calls then race inside one process. */
  other(): Promise<Store>;
}

export const partners: Partner[] = [
  { id: 'north', name: 'North Partners', domains: ['north.example'] },
  { id: 'south', name: 'South Reseller', domains: ['south.example'], selfService: true },
];

export const customers: Customer[] = [
  { id: 'cus-n1', partnerId: 'north', name: 'Émile Industries', country: 'France', directory: { instance: 'dir-a', mapping: 'login' } },
  { id: 'cus-n2', partnerId: 'north', name: 'apple farm' },
  { id: 'cus-n3', partnerId: 'north', name: 'Banana 50% Co' },
  { id: 'cus-n4', partnerId: 'north', name: 'Zeta_Works' },
  { id: 'cus-s1', partnerId: 'south', name: 'Apple South' },
  { id: 'cus-s2', partnerId: 'south', name: 'Banana South' },
];

export const accounts: Account[] = [
  { id: 'acc-n1', partnerId: 'north', customerId: 'cus-n1', name: 'Zoe Ng', login: 'zoe', email: 'Zoe@Emile.example' },
  { id: 'acc-n2', partnerId: 'north', customerId: 'cus-n1', name: 'adam Smith', login: 'adam', email: 'adam@emile.example', externalId: 'x-1' },
  { id: 'acc-n3', partnerId: 'north', customerId: 'cus-n2', name: 'Bea Lin', login: 'bea', email: 'bea@apple.example' },
  { id: 'acc-s1', partnerId: 'south', customerId: 'cus-s1', name: 'Zoe Other', login: 'zoe', email: 'zoe@applesouth.example' },
  // The same person holds an account with both partners.
  { id: 'acc-s2', partnerId: 'south', customerId: 'cus-s2', name: 'Zoe Ng', login: 'zng', email: 'zoe@emile.example' },
];

/** Minutes after a fixed instant, as the ISO strings the services pass. */
export const at = (minutes: number) => new Date(Date.UTC(2030, 0, 1) + minutes * 60_000).toISOString();

export const hash = () => randomBytes(32).toString('hex');

export function reset(account: Account, over: Partial<ResetRecord> = {}): ResetRecord {
  return {
    id: randomUUID(), partnerId: account.partnerId, customerId: account.customerId, accountId: account.id,
    tokenHash: hash(), flow: 'admin', createdAt: at(0), expiresAt: at(60), createdBy: 'admin@north.example', ...over,
  };
}

export const account = (id: string): Account => {
  const found = accounts.find((a) => a.id === id);
  if (!found) throw new Error(`no fixture account ${id}`);
  return found;
};

export function storeContract(name: string, open: () => Promise<ContractStore>): void {
  describe(`store contract: ${name}`, () => {
    const ctx = {} as Ctx;
    const twins: Store[] = [];

    beforeEach(async () => {
      const store = await open();
      // Copies: the embedded store keeps the very objects it is given and edits them in place.
      await store.importTenants(structuredClone({ partners, customers, accounts }));
      ctx.store = store;
      ctx.other = async () => {
        if (!store.twin) return store;
        const twin = await store.twin();
        twins.push(twin);
        return twin;
      };
    });
    afterEach(async () => {
      for (const t of twins.splice(0)) await t.close();
      await ctx.store?.close();
      await ctx.store?.destroy?.();
    });

    tenantCases(ctx, open);
    resetCases(ctx);
    auditAndOutboxCases(ctx);
    sessionCases(ctx);
    syncCases(ctx);
    provisioningCases(ctx);
    webhookCases(ctx);
    brandingCases(ctx);
    connectionCases(ctx);
  });
}
