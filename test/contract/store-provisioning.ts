import { describe, expect, it } from 'vitest';
import type { ApiClient, Customer, IdempotencyRecord } from '../../src/domain/types.js';
import type { Ctx } from './store.js';
import { account, at, customers, reset } from './store.js';

const ids = (items: Array<{ id: string }>) => items.map((i) => i.id);
const customer = (id: string): Customer => structuredClone(customers.find((c) => c.id === id)!);

export function provisioningCases(ctx: Ctx): void {
  describe('provisioning', () => {
    it("pages a partner's companies in id order with a cursor, and never another partner's", async () => {
      const first = await ctx.store.pageCustomers('north', { limit: 3 });
      expect(ids(first.items)).toEqual(['cus-n1', 'cus-n2', 'cus-n3']);
      expect(first.next).toBe('cus-n3');
      const second = await ctx.store.pageCustomers('north', { limit: 3, after: first.next! });
      expect(second).toEqual({ items: [customers[3]] });
      expect(ids((await ctx.store.pageCustomers('north', { limit: 10, ids: ['cus-n2', 'cus-s1'] })).items)).toEqual(['cus-n2']);
      expect(ids((await ctx.store.pageCustomers('north', { limit: 10, q: 'BANANA' })).items)).toEqual(['cus-n3']);
      expect(ids((await ctx.store.pageCustomers('south', { limit: 10, q: 'apple' })).items)).toEqual(['cus-s1']);
    });

    it('filters accounts by company, email, login and external id, within the partner only', async () => {
      expect(ids((await ctx.store.pageAccounts('north', { limit: 10, customerId: 'cus-n1' })).items)).toEqual(['acc-n1', 'acc-n2']);
      expect(ids((await ctx.store.pageAccounts('north', { limit: 10, email: 'ZOE@emile.example' })).items)).toEqual(['acc-n1']);
      expect(ids((await ctx.store.pageAccounts('south', { limit: 10, login: 'zoe' })).items)).toEqual(['acc-s1']);
      expect(ids((await ctx.store.pageAccounts('north', { limit: 10, externalIds: ['x-1', 'nope'] })).items)).toEqual(['acc-n2']);
      expect((await ctx.store.pageAccounts('south', { limit: 10, externalIds: ['x-1'] })).items).toEqual([]);
      expect((await ctx.store.pageAccounts('south', { limit: 10, customerId: 'cus-n1' })).items).toEqual([]);
    });

    it('saves new and changed companies and accounts in one call, found again by external id', async () => {
      await ctx.store.saveCustomers('north', [
        { ...customer('cus-n2'), name: 'Apple Farm Ltd', externalId: 'plat-2' },
        { id: 'cus-n9', partnerId: 'north', name: 'New Co', externalId: 'plat-9' },
      ]);
      expect((await ctx.store.getCustomer('north', 'cus-n2'))?.name).toBe('Apple Farm Ltd');
      expect(ids((await ctx.store.pageCustomers('north', { limit: 10, externalIds: ['plat-9', 'plat-2'] })).items)).toEqual(['cus-n2', 'cus-n9']);
      await ctx.store.saveAccounts('north', [{ id: 'acc-n9', partnerId: 'north', customerId: 'cus-n9', name: 'Ny Person', login: 'ny', email: 'ny@new.example', externalId: 'pa-9' }]);
      expect(await ctx.store.listAccounts('north', 'cus-n9')).toHaveLength(1);
      expect((await ctx.store.listCustomers('north', { page: 1, pageSize: 50 })).total).toBe(5);
    });

    it("refuses, changing nothing, a batch holding another partner's row, id or company, or a taken external id", async () => {
      const before = await ctx.store.pageCustomers('north', { limit: 50 });
      const good = { id: 'cus-n8', partnerId: 'north', name: 'Good Co' };
      await expect(ctx.store.saveCustomers('north', [good, { ...customer('cus-s1') }])).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(ctx.store.saveCustomers('north', [good, { ...customer('cus-s1'), partnerId: 'north' }])).rejects.toMatchObject({ code: 'CONFLICT' });
      await ctx.store.saveCustomers('north', [{ ...customer('cus-n2'), externalId: 'taken' }]);
      await expect(ctx.store.saveCustomers('north', [good, { ...customer('cus-n3'), externalId: 'taken' }])).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await ctx.store.getCustomer('north', 'cus-n8')).toBeUndefined();
      expect((await ctx.store.getCustomer('south', 'cus-s1'))?.partnerId).toBe('south');
      expect((await ctx.store.pageCustomers('north', { limit: 50 })).items).toHaveLength(before.items.length);
      // The same external id at another partner is another company.
      await ctx.store.saveCustomers('south', [{ ...customer('cus-s2'), externalId: 'taken' }]);

      const stray = { ...account('acc-n1'), id: 'acc-n8', customerId: 'cus-s1' };
      await expect(ctx.store.saveAccounts('north', [stray])).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(ctx.store.saveAccounts('north', [{ ...account('acc-s1'), partnerId: 'north', customerId: 'cus-n1' }])).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await ctx.store.getAccount('north', 'acc-s1')).toBeUndefined();
      expect((await ctx.store.getAccount('south', 'acc-s1'))?.customerId).toBe('cus-s1');
    });

    it("hides soft-deleted rows from every read but an explicit page, the code page's look-up included", async () => {
      await ctx.store.createReset(reset(account('acc-n1')));
      await ctx.store.saveAccounts('north', [{ ...account('acc-n1'), deletedAt: at(1) }]);
      expect(await ctx.store.getAccount('north', 'acc-n1')).toBeUndefined();
      expect(ids(await ctx.store.listAccounts('north', 'cus-n1'))).toEqual(['acc-n2']);
      expect(await ctx.store.findAccountsByIdentifier('north', 'zoe')).toEqual([]);
      expect(ids(await ctx.store.findOpenResetsByEmail('zoe@emile.example'))).toEqual([]);
      expect(ids((await ctx.store.pageAccounts('north', { limit: 10, customerId: 'cus-n1' })).items)).toEqual(['acc-n2']);
      const all = await ctx.store.pageAccounts('north', { limit: 10, customerId: 'cus-n1', includeDeleted: true });
      expect(all.items.find((a) => a.id === 'acc-n1')?.deletedAt).toBe(at(1));

      await ctx.store.saveCustomers('north', [{ ...customer('cus-n2'), deletedAt: at(2) }]);
      expect(await ctx.store.getCustomer('north', 'cus-n2')).toBeUndefined();
      expect((await ctx.store.listCustomers('north', { page: 1, pageSize: 50 })).total).toBe(3);

      await ctx.store.savePartner({ id: 'south', name: 'South Reseller', domains: ['south.example'], deletedAt: at(3) });
      expect(await ctx.store.getPartner('south')).toBeUndefined();
      expect(ids(await ctx.store.listPartners())).toEqual(['north']);
      expect(ids((await ctx.store.pagePartners({ limit: 10 })).items)).toEqual(['north']);
      expect(ids((await ctx.store.pagePartners({ limit: 10, includeDeleted: true })).items)).toEqual(['north', 'south']);
    });

    it("revokes open resets of one account or one company, never another partner's", async () => {
      const n1 = reset(account('acc-n1'));
      const n2 = reset(account('acc-n2'));
      const n3 = reset(account('acc-n3'));
      const s1 = reset(account('acc-s1'));
      for (const r of [n1, n2, n3, s1]) await ctx.store.createReset(r);
      expect(await ctx.store.revokeOpenResets('south', { accountId: 'acc-n1' }, at(5))).toBe(0);
      expect(await ctx.store.revokeOpenResets('north', { accountId: 'acc-n1' }, at(5))).toBe(1);
      expect(await ctx.store.revokeOpenResets('north', { customerId: 'cus-n1' }, at(6))).toBe(1);
      expect((await ctx.store.getReset(n1.id))?.revokedAt).toBe(at(5));
      expect((await ctx.store.getReset(n2.id))?.revokedAt).toBe(at(6));
      expect((await ctx.store.getReset(n3.id))?.revokedAt).toBeUndefined();
      expect((await ctx.store.getReset(s1.id))?.revokedAt).toBeUndefined();
    });

    it("gives a reset by id (not another partner's), an account's resets newest first, and the events naming one", async () => {
      const older = reset(account('acc-n1'), { createdAt: at(0) });
      const newer = reset(account('acc-n1'), { createdAt: at(10) });
      await ctx.store.createReset(older);
      await ctx.store.createReset(newer);
      expect((await ctx.store.getReset(newer.id, 'north'))?.tokenHash).toBe(newer.tokenHash);
      expect(await ctx.store.getReset(newer.id, 'south')).toBeUndefined();
      expect(ids(await ctx.store.listResets('north', 'acc-n1'))).toEqual([newer.id, older.id]);
      expect(await ctx.store.listResets('south', 'acc-n1')).toEqual([]);
      await ctx.store.appendAudit({ type: 'reset.opened', outcome: 'info', actor: 'x', partnerId: 'north', detail: { resetId: newer.id } }, at(11));
      await ctx.store.appendAudit({ type: 'reset.opened', outcome: 'info', actor: 'x', partnerId: 'north', detail: { resetId: older.id } }, at(12));
      expect((await ctx.store.listResetEvents('north', newer.id)).map((e) => e.type)).toEqual(['reset.opened']);
      expect(await ctx.store.listResetEvents('south', newer.id)).toEqual([]);
      // Events appended after the first question count too, in the order they happened.
      await ctx.store.appendAudit({ type: 'reset.redeemed', outcome: 'success', actor: 'x', partnerId: 'north', detail: { resetId: newer.id } }, at(13));
      expect((await ctx.store.listResetEvents('north', newer.id)).map((e) => e.type)).toEqual(['reset.opened', 'reset.redeemed']);
    });

    it('keeps API clients with every field, and records when one was last used', async () => {
      const client: ApiClient = {
        id: 'rbc_test1', name: 'Platform', scopes: ['tenants:write', 'resets:read'], partnerId: 'north',
        secretHash: 'ab'.repeat(32), createdAt: at(0), createdBy: 'admin:dana@north.example',
      };
      await ctx.store.saveApiClient(client);
      await ctx.store.saveApiClient({ ...client, id: 'rbc_test2', createdAt: at(1) });
      expect(await ctx.store.getApiClient('rbc_test1')).toEqual(client);
      await ctx.store.touchApiClient('rbc_test1', at(5));
      await ctx.store.saveApiClient({ ...client, id: 'rbc_test2', createdAt: at(1), revokedAt: at(6) });
      expect((await ctx.store.getApiClient('rbc_test1'))?.lastUsedAt).toBe(at(5));
      expect((await ctx.store.listApiClients()).map((c) => [c.id, c.revokedAt])).toEqual([['rbc_test1', undefined], ['rbc_test2', at(6)]]);
      expect(await ctx.store.getApiClient('rbc_nobody')).toBeUndefined();
    });

    it('hands an idempotency key to one request, answers later ones with its record until it expires', async () => {
      const key: IdempotencyRecord = { scope: 'rbc_a', key: 'k-1', requestHash: 'h1', createdAt: at(0), expiresAt: at(60) };
      const other = await ctx.other();
      const raced = await Promise.all([ctx.store.reserveIdempotencyKey(key, at(0)), other.reserveIdempotencyKey({ ...key, requestHash: 'h2' }, at(0))]);
      expect(raced.filter((r) => r === undefined)).toHaveLength(1);
      const winner = raced[0] === undefined ? 'h1' : 'h2';
      expect((await ctx.store.reserveIdempotencyKey(key, at(1)))?.requestHash).toBe(winner);
      await ctx.store.finishIdempotencyKey('rbc_a', 'k-1', { status: 201, body: '{"id":"x"}' });
      expect((await ctx.store.reserveIdempotencyKey(key, at(2)))?.response).toEqual({ status: 201, body: '{"id":"x"}' });
      // Another client's key of the same name is another key.
      expect(await ctx.store.reserveIdempotencyKey({ ...key, scope: 'rbc_b' }, at(2))).toBeUndefined();
      expect(await ctx.store.reserveIdempotencyKey({ ...key, expiresAt: at(200) }, at(61))).toBeUndefined();
      await ctx.store.releaseIdempotencyKey('rbc_a', 'k-1');
      expect(await ctx.store.reserveIdempotencyKey(key, at(62))).toBeUndefined();
    });
  });
}
