import { notFound } from '../domain/errors.js';
import type { Store } from '../domain/ports.js';
import type { Account, AdminUser, Customer, Page } from '../domain/types.js';

/**
 * What a partner admin may browse. Every call is scoped by the admin's partner: another partner's
 * ids answer 404, exactly like ids that do not exist.
 */
export class AdminService {
  constructor(private readonly store: Store, private readonly pageSize = 20) {}

  listCustomers(admin: AdminUser, q: string | undefined, page: number): Promise<Page<Customer>> {
    return this.store.listCustomers(admin.partnerId, { ...(q ? { q } : {}), page: Math.max(1, page), pageSize: this.pageSize });
  }

  async getCustomer(admin: AdminUser, customerId: string): Promise<Customer> {
    const customer = await this.store.getCustomer(admin.partnerId, customerId);
    if (!customer) throw notFound('Company');
    return customer;
  }

  async listAccounts(admin: AdminUser, customerId: string): Promise<{ customer: Customer; accounts: Account[] }> {
    const customer = await this.getCustomer(admin, customerId);
    return { customer, accounts: await this.store.listAccounts(admin.partnerId, customer.id) };
  }

  async getAccount(admin: AdminUser, customerId: string, accountId: string): Promise<{ customer: Customer; account: Account }> {
    const customer = await this.getCustomer(admin, customerId);
    const account = await this.store.getAccount(admin.partnerId, accountId);
    if (!account || account.customerId !== customer.id) throw notFound('Account');
    return { customer, account };
  }

  async partnerName(admin: AdminUser): Promise<string> {
    return (await this.store.getPartner(admin.partnerId))?.name ?? '';
  }
}
