import { describe, expect, it } from 'vitest';
import type { ContractStore, Ctx } from './store.js';
import { account, accounts, customers, partners } from './store.js';

const names = (items: Array<{ name: string }>) => items.map((i) => i.name);

export function tenantCases(ctx: Ctx, open: () => Promise<ContractStore>): void {
  describe('tenants', () => {
    it('is empty until tenants are imported, then lists every partner', async () => {
      const fresh = await open();
      try {
        expect(await fresh.isEmpty()).toBe(true);
        expect(await fresh.listPartners()).toEqual([]);
      } finally {
        await fresh.close();
        await fresh.destroy?.();
      }
      expect(await ctx.store.isEmpty()).toBe(false);
      expect((await ctx.store.listPartners()).map((p) => p.id).sort()).toEqual(['north', 'south']);
    });

    it('gives a partner by id, every field intact, and nothing for an unknown id', async () => {
      expect(await ctx.store.getPartner('south')).toEqual(partners[1]);
      expect(await ctx.store.getPartner('nobody')).toBeUndefined();
    });

    it('replaces records by id on a second import instead of adding copies', async () => {
      await ctx.store.importTenants({ customers: [{ ...customers[1]!, name: 'Apple Farm Renamed' }] });
      const page = await ctx.store.listCustomers('north', { page: 1, pageSize: 50 });
      expect(page.total).toBe(4);
      expect(names(page.items)).toContain('Apple Farm Renamed');
      expect(names(page.items)).not.toContain('apple farm');
    });

    it("lists only the partner's customers, sorted by name ignoring case and accents, page by page", async () => {
      const all = await ctx.store.listCustomers('north', { page: 1, pageSize: 50 });
      expect(names(all.items)).toEqual(['apple farm', 'Banana 50% Co', 'Émile Industries', 'Zeta_Works']);
      expect(all.total).toBe(4);
      const second = await ctx.store.listCustomers('north', { page: 2, pageSize: 3 });
      expect(second).toEqual({ items: [customers[3]], total: 4, page: 2, pageSize: 3 });
      expect(all.items.find((c) => c.id === 'cus-n1')).toEqual(customers[0]);
    });

    it('searches names by substring, case-insensitively, with % and _ meaning themselves', async () => {
      expect(names((await ctx.store.listCustomers('north', { q: 'APPLE', page: 1, pageSize: 10 })).items)).toEqual(['apple farm']);
      expect(names((await ctx.store.listCustomers('north', { q: '50%', page: 1, pageSize: 10 })).items)).toEqual(['Banana 50% Co']);
      expect((await ctx.store.listCustomers('north', { q: 'a_w', page: 1, pageSize: 10 })).total).toBe(1);
      expect((await ctx.store.listCustomers('north', { q: '%', page: 1, pageSize: 10 })).total).toBe(1);
    });

    it("never lists, finds or counts partner B's customers for partner A", async () => {
      const page = await ctx.store.listCustomers('north', { q: 'south', page: 1, pageSize: 10 });
      expect(page).toEqual({ items: [], total: 0, page: 1, pageSize: 10 });
      expect(await ctx.store.getCustomer('north', 'cus-s1')).toBeUndefined();
      expect(await ctx.store.getCustomer('south', 'cus-s1')).toEqual(customers[4]);
    });

    it("binds and unbinds a company's directory, and partner A cannot change partner B's company", async () => {
      await ctx.store.setCustomerDirectory('north', 'cus-n2', { instance: 'ldap-1', mapping: '{login}@corp.example' });
      expect((await ctx.store.getCustomer('north', 'cus-n2'))?.directory).toEqual({ instance: 'ldap-1', mapping: '{login}@corp.example' });
      await ctx.store.setCustomerDirectory('north', 'cus-n1', undefined);
      expect((await ctx.store.getCustomer('north', 'cus-n1'))?.directory).toBeUndefined();

      await ctx.store.setCustomerDirectory('north', 'cus-s1', { instance: 'evil', mapping: 'login' });
      expect((await ctx.store.getCustomer('south', 'cus-s1'))?.directory).toBeUndefined();
    });

    it("lists a company's accounts sorted by name, and none of it through another partner", async () => {
      expect((await ctx.store.listAccounts('north', 'cus-n1')).map((a) => a.id)).toEqual(['acc-n2', 'acc-n1']);
      expect(await ctx.store.listAccounts('north', 'cus-s1')).toEqual([]);
      expect(await ctx.store.listAccounts('south', 'cus-n1')).toEqual([]);
    });

    it("gives an account with every field, and not partner B's account to partner A", async () => {
      expect(await ctx.store.getAccount('north', 'acc-n2')).toEqual(accounts[1]);
      expect(await ctx.store.getAccount('north', 'acc-s1')).toBeUndefined();
      expect(await ctx.store.getAccount('south', 'acc-n1')).toBeUndefined();
    });

    it("finds accounts by login or email ignoring case and spaces, within the partner only", async () => {
      expect((await ctx.store.findAccountsByIdentifier('north', ' ZOE ')).map((a) => a.id)).toEqual(['acc-n1']);
      expect((await ctx.store.findAccountsByIdentifier('north', 'zoe@emile.EXAMPLE')).map((a) => a.id)).toEqual(['acc-n1']);
      expect((await ctx.store.findAccountsByIdentifier('south', 'zoe')).map((a) => a.id)).toEqual(['acc-s1']);
      expect(await ctx.store.findAccountsByIdentifier('south', 'bea@apple.example')).toEqual([]);
      expect(await ctx.store.findAccountsByIdentifier('north', '  ')).toEqual([]);
    });

    it("records an account's last reset, and partner A cannot touch partner B's account", async () => {
      await ctx.store.setAccountLastReset('north', 'acc-n3', '2030-01-02T03:04:05.006Z');
      expect((await ctx.store.getAccount('north', 'acc-n3'))?.lastResetAt).toBe('2030-01-02T03:04:05.006Z');
      await ctx.store.setAccountLastReset('north', 'acc-s1', '2030-01-02T03:04:05.006Z');
      expect(await ctx.store.getAccount('south', 'acc-s1')).toEqual(account('acc-s1'));
    });
  });
}
