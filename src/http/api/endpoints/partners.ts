import type { PartnerProvisioning } from '../../../services/provisioning.js';
import type { ApiBuilder } from '../builder.js';
import { Partner, PartnerCreate, PartnerParams, PartnerPatch, PartnerPut, PartnersQuery, listOf } from '../schemas.js';
import { flag, partnerOut } from './represent.js';

const tag = 'Partners';

export function partnerEndpoints(api: ApiBuilder, partners: PartnerProvisioning): void {
  api.add({
    method: 'get', path: '/partners', operationId: 'listPartners', tag, scope: 'tenants:read',
    summary: 'List partners',
    description: 'In id order, a page at a time. A client restricted to one partner sees that partner only.',
    query: PartnersQuery,
    responses: { 200: { description: 'A page of partners', schema: listOf(Partner, 'PartnerPage') } },
    async handle({ query, caller }) {
      const page = await partners.list(caller, { ...(query.cursor ? { cursor: query.cursor } : {}), limit: query.limit, includeDeleted: flag(query.includeDeleted) });
      return { status: 200, body: { items: page.items.map(partnerOut), next: page.next } };
    },
  });

  api.add({
    method: 'post', path: '/partners', operationId: 'createPartner', tag, scope: 'tenants:write',
    summary: 'Create a partner',
    description: 'Only for clients without a partner restriction. A sign-in domain belongs to one partner only.',
    body: PartnerCreate,
    responses: { 201: { description: 'Created', schema: Partner } },
    problems: ['conflict', 'forbidden'],
    async handle({ body, caller }) {
      const partner = await partners.create(caller, body);
      return { status: 201, body: partnerOut(partner), headers: { Location: `/api/v1/partners/${partner.id}` } };
    },
  });

  api.add({
    method: 'get', path: '/partners/{partner}', operationId: 'getPartner', tag, scope: 'tenants:read',
    summary: 'Get a partner', params: PartnerParams,
    responses: { 200: { description: 'The partner', schema: Partner } },
    async handle({ params, caller }) {
      return { status: 200, body: partnerOut(await partners.get(caller, params.partner)) };
    },
  });

  api.add({
    method: 'put', path: '/partners/{partner}', operationId: 'putPartner', tag, scope: 'tenants:write',
    summary: 'Create or replace a partner by id',
    description: 'The platform chooses partner ids, so this is the upsert by the platform\'s id. A deleted partner comes back.',
    params: PartnerParams, body: PartnerPut,
    responses: { 200: { description: 'Updated or restored', schema: Partner }, 201: { description: 'Created', schema: Partner } },
    problems: ['conflict', 'forbidden'],
    async handle({ params, body, caller }) {
      const { partner, outcome } = await partners.put(caller, params.partner, body);
      return { status: outcome === 'created' ? 201 : 200, body: partnerOut(partner) };
    },
  });

  api.add({
    method: 'patch', path: '/partners/{partner}', operationId: 'updatePartner', tag, scope: 'tenants:write',
    summary: 'Change some fields of a partner', params: PartnerParams, body: PartnerPatch,
    responses: { 200: { description: 'Updated', schema: Partner } },
    problems: ['conflict', 'forbidden'],
    async handle({ params, body, caller }) {
      return { status: 200, body: partnerOut(await partners.patch(caller, params.partner, body)) };
    },
  });

  api.add({
    method: 'delete', path: '/partners/{partner}', operationId: 'deletePartner', tag, scope: 'tenants:write',
    summary: 'Delete a partner (soft)',
    description: 'Its admins can no longer sign in (open sessions end), its open reset links stop working, and it vanishes from every console. `PUT` brings it back.',
    params: PartnerParams,
    responses: { 204: { description: 'Deleted' } },
    problems: ['forbidden'],
    async handle({ params, caller }) {
      await partners.remove(caller, params.partner);
      return { status: 204 };
    },
  });
}
