// Shared by the api-*.test.ts files: API clients made the way an IdP admin makes them (the console
// page), and a small JSON client for the API on the product's real port.
import { parse } from 'node-html-parser';
import { expect } from 'vitest';
import { formFields, type HttpClient } from '../support/http-client.js';
import { signInAsAdmin } from '../support/journey.js';
import type { Product } from '../support/product.js';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** Dana is the demo's IdP admin (of Northwind Partners). */
export async function signInAsIdpAdmin(product: Product): Promise<HttpClient> {
  return (await signInAsAdmin(product, 'dana@northwind-partners.example', 'northwind-demo')).client;
}

/** Creates a client on the IdP admin's API clients page and returns its `id.secret` token, read off the page shown once. */
export async function createClient(product: Product, admin: HttpClient, input: { name: string; scopes: string[]; partnerId?: string }): Promise<{ id: string; token: string; page: string }> {
  const page = await admin.get(`${product.url}/idp-admin/api-clients`);
  expect(page.status).toBe(200);
  const form = new URLSearchParams({ ...formFields(page.text, 'form[action="/idp-admin/api-clients"]'), name: input.name, partnerId: input.partnerId ?? '' });
  for (const s of input.scopes) form.append('scopes', s);
  const res = await fetch(`${product.url}/idp-admin/api-clients`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: await admin.cookies(`${product.url}/`) },
    body: form.toString(),
  });
  const html = await res.text();
  expect(res.status, html.slice(0, 500)).toBe(201);
  const root = parse(html);
  const id = root.querySelector('#api-client-id')!.text;
  const secret = root.querySelector('#api-client-secret')!.text;
  return { id, token: `${id}.${secret}`, page: html };
}

/** JSON over fetch with a bearer token; `body` is the parsed answer (or undefined when empty). */
export function apiClient(product: Product, token?: string) {
  return async function call<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const res = await fetch(`${product.url}/api/v1${path}`, {
      method,
      headers: {
        accept: 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
  };
}

export type Api = ReturnType<typeof apiClient>;
