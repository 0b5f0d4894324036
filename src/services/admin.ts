import { notFound } from '../domain/errors.js';
import type { Store } from '../domain/ports.js';
import type { Account, AdminUser, Customer, Page } from '../domain/types.js';

export interface LastMail {
  state: 'waiting' | 'delivered' | 'retrying' | 'failed';
  at: string;
  error?: string;
}

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

  /**
   * What became of the newest reset mail for the account: waiting, delivered, being retried, or
   * given up (with the mail server's reason), read from the audit trail.
   */
  async lastResetMail(admin: AdminUser, accountId: string): Promise<LastMail | undefined> {
    const target = `account:${accountId}`;
    const events = await this.store.queryAudit({ partnerId: admin.partnerId, target });
    const issued = events.findLast((e) => e.type === 'reset.issued');
    if (!issued) return undefined;
    const outcome = events.findLast((e) => e.seq > issued.seq && e.type.startsWith('mail.') && e.detail?.kind === 'reset-link');
    if (!outcome) return { state: 'waiting', at: issued.at };
    const state = outcome.type === 'mail.sent' ? 'delivered' : outcome.type === 'mail.retry' ? 'retrying' : 'failed';
    return { state, at: outcome.at, ...(typeof outcome.detail?.error === 'string' ? { error: outcome.detail.error } : {}) };
  }

  async partnerName(admin: AdminUser): Promise<string> {
    return (await this.store.getPartner(admin.partnerId))?.name ?? '';
  }
}
