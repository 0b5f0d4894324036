import type { CustomerProvisioning, CustomerUpsert as Upsert } from '../../../services/provisioning-customers.js';
import type { ApiBuilder } from '../builder.js';
import {
  BulkEnvelope, BulkResponse, Customer, CustomerBulkRecord, CustomerCreate, CustomerParams, CustomerPatch, CustomerUpsert,
  CustomersQuery, ExternalParams, PartnerParams, bulkRequest, listOf,
} from '../schemas.js';
import { bulkReply, checkRecords } from './bulk.js';
import { customerOut, flag, only } from './represent.js';

const tag = 'Customers';

export function customerEndpoints(api: ApiBuilder, customers: CustomerProvisioning): void {
  api.add({
    method: 'get', path: '/partners/{partner}/customers', operationId: 'listCustomers', tag, scope: 'tenants:read',
    summary: "List a partner's companies",
    params: PartnerParams, query: CustomersQuery,
    responses: { 200: { description: 'A page of companies, in id order', schema: listOf(Customer, 'CustomerPage') } },
    async handle({ params, query, caller }) {
      const page = await customers.list(caller, params.partner, only({
        cursor: query.cursor, limit: query.limit, includeDeleted: flag(query.includeDeleted), q: query.q, externalId: query.externalId,
      }));
      return { status: 200, body: { items: page.items.map(customerOut), next: page.next } };
    },
  });

  api.add({
    method: 'post', path: '/partners/{partner}/customers', operationId: 'createCustomer', tag, scope: 'tenants:write',
    summary: 'Create a company', params: PartnerParams, body: CustomerCreate,
    responses: { 201: { description: 'Created', schema: Customer } },
    problems: ['conflict'],
    async handle({ params, body, caller }) {
      const customer = await customers.create(caller, params.partner, body);
      return { status: 201, body: customerOut(customer), headers: { Location: `/api/v1/partners/${params.partner}/customers/${customer.id}` } };
    },
  });

  api.add({
    method: 'post', path: '/partners/{partner}/customers/bulk', operationId: 'bulkUpsertCustomers', tag, scope: 'tenants:write',
    summary: 'Create or update many companies by external id',
    description: 'Each record is checked and applied on its own: good records are applied even when others fail. The answer lists every record\'s outcome in request order.',
    params: PartnerParams, body: BulkEnvelope, documentedBody: bulkRequest(CustomerBulkRecord, 'CustomerBulkRequest'),
    responses: { 200: { description: 'Per-record outcomes', schema: BulkResponse } },
    problems: ['payload-too-large', 'conflict'],
    async handle({ params, body, caller }) {
      const { valid, invalid } = checkRecords(body.records, CustomerBulkRecord);
      const results = await customers.bulk(caller, params.partner, valid.map(({ index, record }) => {
        const { externalId, ...input } = record;
        return { index, externalId, input: input as Upsert };
      }), invalid.length);
      return bulkReply(results, invalid);
    },
  });

  api.add({
    method: 'put', path: '/partners/{partner}/customers/by-external-id/{externalId}', operationId: 'upsertCustomer', tag, scope: 'tenants:write',
    summary: "Create or update a company by the platform's id",
    params: ExternalParams, body: CustomerUpsert,
    responses: { 200: { description: 'Updated or restored', schema: Customer }, 201: { description: 'Created', schema: Customer } },
    problems: ['conflict'],
    async handle({ params, body, caller }) {
      const { customer, outcome } = await customers.upsert(caller, params.partner, params.externalId, body as Upsert);
      return { status: outcome === 'created' ? 201 : 200, body: customerOut(customer) };
    },
  });

  api.add({
    method: 'get', path: '/partners/{partner}/customers/{customer}', operationId: 'getCustomer', tag, scope: 'tenants:read',
    summary: 'Get a company', params: CustomerParams,
    responses: { 200: { description: 'The company', schema: Customer } },
    async handle({ params, caller }) {
      return { status: 200, body: customerOut(await customers.get(caller, params.partner, params.customer)) };
    },
  });

  api.add({
    method: 'patch', path: '/partners/{partner}/customers/{customer}', operationId: 'updateCustomer', tag, scope: 'tenants:write',
    summary: 'Change some fields of a company', params: CustomerParams, body: CustomerPatch,
    responses: { 200: { description: 'Updated', schema: Customer } },
    problems: ['conflict'],
    async handle({ params, body, caller }) {
      return { status: 200, body: customerOut(await customers.patch(caller, params.partner, params.customer, body)) };
    },
  });

  api.add({
    method: 'delete', path: '/partners/{partner}/customers/{customer}', operationId: 'deleteCustomer', tag, scope: 'tenants:write',
    summary: 'Delete a company (soft)',
    description: 'The company vanishes from the console, its accounts get no resets, and their open links stop working. An upsert by external id brings it back.',
    params: CustomerParams,
    responses: { 204: { description: 'Deleted' } },
    async handle({ params, caller }) {
      await customers.remove(caller, params.partner, params.customer);
      return { status: 204 };
    },
  });
}
