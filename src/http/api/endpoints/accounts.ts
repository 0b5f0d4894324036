import type { AccountProvisioning, AccountUpsert as Upsert } from '../../../services/provisioning-accounts.js';
import type { ApiBuilder } from '../builder.js';
import {
  Account, AccountBulkRecord, AccountCreate, AccountParams, AccountPatch, AccountUpsert, AccountsQuery, BulkEnvelope, BulkResponse,
  ExternalParams, PartnerParams, bulkRequest, listOf,
} from '../schemas.js';
import { bulkReply, checkRecords } from './bulk.js';
import { accountOut, flag, only } from './represent.js';

const tag = 'Accounts';

export function accountEndpoints(api: ApiBuilder, accounts: AccountProvisioning): void {
  api.add({
    method: 'get', path: '/partners/{partner}/accounts', operationId: 'listAccounts', tag, scope: 'tenants:read',
    summary: "List a partner's accounts",
    params: PartnerParams, query: AccountsQuery,
    responses: { 200: { description: 'A page of accounts, in id order', schema: listOf(Account, 'AccountPage') } },
    async handle({ params, query, caller }) {
      const page = await accounts.list(caller, params.partner, only({
        cursor: query.cursor, limit: query.limit, includeDeleted: flag(query.includeDeleted), customerId: query.customerId,
        externalId: query.externalId, email: query.email, login: query.login,
      }));
      return { status: 200, body: { items: page.items.map(accountOut), next: page.next } };
    },
  });

  api.add({
    method: 'post', path: '/partners/{partner}/accounts', operationId: 'createAccount', tag, scope: 'tenants:write',
    summary: 'Create an account in a company', params: PartnerParams, body: AccountCreate,
    responses: { 201: { description: 'Created', schema: Account } },
    problems: ['conflict'],
    async handle({ params, body, caller }) {
      const account = await accounts.create(caller, params.partner, body);
      return { status: 201, body: accountOut(account), headers: { Location: `/api/v1/partners/${params.partner}/accounts/${account.id}` } };
    },
  });

  api.add({
    method: 'post', path: '/partners/{partner}/accounts/bulk', operationId: 'bulkUpsertAccounts', tag, scope: 'tenants:write',
    summary: 'Create or update many accounts by external id',
    description: 'Each record is checked and applied on its own: good records are applied even when others fail (say, naming a company that does not exist). The answer lists every record\'s outcome in request order.',
    params: PartnerParams, body: BulkEnvelope, documentedBody: bulkRequest(AccountBulkRecord, 'AccountBulkRequest'),
    responses: { 200: { description: 'Per-record outcomes', schema: BulkResponse } },
    problems: ['payload-too-large', 'conflict'],
    async handle({ params, body, caller }) {
      const { valid, invalid } = checkRecords(body.records, AccountBulkRecord);
      const results = await accounts.bulk(caller, params.partner, valid.map(({ index, record }) => {
        const { externalId, ...input } = record;
        return { index, externalId, input: input as Upsert };
      }), invalid.length);
      return bulkReply(results, invalid);
    },
  });

  api.add({
    method: 'put', path: '/partners/{partner}/accounts/by-external-id/{externalId}', operationId: 'upsertAccount', tag, scope: 'tenants:write',
    summary: "Create or update an account by the platform's id",
    params: ExternalParams, body: AccountUpsert,
    responses: { 200: { description: 'Updated or restored', schema: Account }, 201: { description: 'Created', schema: Account } },
    problems: ['conflict'],
    async handle({ params, body, caller }) {
      const { account, outcome } = await accounts.upsert(caller, params.partner, params.externalId, body as Upsert);
      return { status: outcome === 'created' ? 201 : 200, body: accountOut(account) };
    },
  });

  api.add({
    method: 'get', path: '/partners/{partner}/accounts/{account}', operationId: 'getAccount', tag, scope: 'tenants:read',
    summary: 'Get an account', params: AccountParams,
    responses: { 200: { description: 'The account', schema: Account } },
    async handle({ params, caller }) {
      return { status: 200, body: accountOut(await accounts.get(caller, params.partner, params.account)) };
    },
  });

  api.add({
    method: 'patch', path: '/partners/{partner}/accounts/{account}', operationId: 'updateAccount', tag, scope: 'tenants:write',
    summary: 'Change some fields of an account', params: AccountParams, body: AccountPatch,
    responses: { 200: { description: 'Updated', schema: Account } },
    problems: ['conflict'],
    async handle({ params, body, caller }) {
      return { status: 200, body: accountOut(await accounts.patch(caller, params.partner, params.account, body)) };
    },
  });

  api.add({
    method: 'delete', path: '/partners/{partner}/accounts/{account}', operationId: 'deleteAccount', tag, scope: 'tenants:write',
    summary: 'Delete an account (soft)',
    description: 'The account vanishes from the console and gets no resets; its open link stops working. An upsert by external id brings it back.',
    params: AccountParams,
    responses: { 204: { description: 'Deleted' } },
    async handle({ params, caller }) {
      await accounts.remove(caller, params.partner, params.account);
      return { status: 204 };
    },
  });
}
