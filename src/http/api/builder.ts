import { OpenAPIRegistry, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import type { ApiScope } from '../../domain/types.js';
import type { ApiCaller } from '../../services/provisioning.js';
import { requireScope } from './auth.js';
import { ApiProblem, PROBLEMS, type ProblemKind } from './problems.js';
import { Problem } from './schemas.js';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * What a retry with the same Idempotency-Key gets instead of this answer, when the answer holds
   * something that must not rest in the store (a live reset link).
   */
  replayAs?: { status: number; body: unknown };
}

/** One operation: its documentation and its handler, declared together so neither drifts. */
export interface Endpoint<P, Q, B> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI style, relative to /api/v1: `/partners/{partner}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  scope: ApiScope;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** A request without any body is read as `{}` (for a body whose fields all have defaults). */
  bodyOptional?: boolean;
  /** What the document shows as the body when validation is done in two steps (bulk calls). */
  documentedBody?: z.ZodType;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  /** Problems this operation may answer besides the ones every operation may (401, 403, 422, and 404 with path parameters). */
  problems?: ProblemKind[];
  handle(input: { params: P; query: Q; body: B; caller: ApiCaller }): Promise<Reply>;
}

const JSON_TYPES = ['application/json', 'application/*+json'];

/** No body at all: no type, no length (or 0), no chunks. A body of some other type is not this. */
const withoutBody = (req: Request) =>
  !req.get('content-type') && !req.get('transfer-encoding') && (req.get('content-length') ?? '0') === '0';

/** Zod issues as JSON Pointers into the request. */
export function issuesOf(error: z.ZodError, where: string): Array<{ path: string; message: string }> {
  return error.issues.map((i) => ({
    path: `/${where}${i.path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')}`,
    message: i.message,
  }));
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = issuesOf(result.error, where);
  throw new ApiProblem('validation', `The request ${where === 'body' ? 'body' : where === 'query' ? 'query string' : 'path'} is not valid: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, { errors });
}

const problemResponse = (kind: ProblemKind) => ({
  description: PROBLEMS[kind].title,
  content: { 'application/problem+json': { schema: Problem } },
});

/** Collects endpoints into an Express router and an OpenAPI registry at once. */
export class ApiBuilder {
  readonly registry = new OpenAPIRegistry();
  readonly router = Router();

  constructor(private readonly idempotency: RequestHandler) {}

  add<P, Q, B>(e: Endpoint<P, Q, B>): void {
    this.document(e);
    const route = e.path.replace(/\{(\w+)\}/g, ':$1');
    const stages: RequestHandler[] = [requireScope(e.scope)];
    if (e.method === 'post') stages.push(this.idempotency);
    stages.push(async (req: Request, res) => {
      const caller = res.locals.caller as ApiCaller;
      const params = parse(e.params, req.params, 'params');
      const query = parse(e.query, req.query, 'query');
      const defaulted = e.bodyOptional === true && withoutBody(req);
      if (e.body && !defaulted && !req.is(JSON_TYPES)) throw new ApiProblem('unsupported-media-type', 'Send the body as application/json.');
      const body = parse(e.body, defaulted ? {} : req.body, 'body');
      const reply = await e.handle({ params, query, body, caller });
      if (reply.replayAs) res.locals.replayAs = reply.replayAs;
      for (const [k, v] of Object.entries(reply.headers ?? {})) res.set(k, v);
      res.status(reply.status);
      if (reply.body === undefined) res.end();
      else res.json(reply.body);
    });
    this.router[e.method](route, ...stages);
  }

  private document<P, Q, B>(e: Endpoint<P, Q, B>): void {
    const problems = new Set<ProblemKind>(['unauthorized', 'insufficient-scope', 'validation', ...(e.problems ?? [])]);
    if (e.params) problems.add('not-found');
    if (e.body) problems.add('unsupported-media-type');
    if (e.method === 'post') {
      problems.add('idempotency-key-in-use');
      problems.add('idempotency-key-reused');
    }
    const responses: RouteConfig['responses'] = {};
    for (const [status, r] of Object.entries(e.responses)) {
      responses[status] = { description: r.description, ...(r.schema ? { content: { 'application/json': { schema: r.schema } } } : {}) };
    }
    for (const kind of problems) {
      const { status } = PROBLEMS[kind];
      // Two kinds may share a status (403, 409, 422): the document lists one entry naming both.
      const existing = responses[status];
      responses[status] = existing && 'content' in existing
        ? { ...existing, description: `${existing.description}; or: ${PROBLEMS[kind].title}` }
        : problemResponse(kind);
    }
    const bodySchema = e.documentedBody ?? e.body;
    this.registry.registerPath({
      method: e.method,
      path: e.path,
      operationId: e.operationId,
      summary: e.summary,
      ...(e.description ? { description: e.description } : {}),
      tags: [e.tag],
      security: [{ bearerAuth: [e.scope] }],
      request: {
        ...(e.params ? { params: e.params as unknown as z.ZodObject } : {}),
        ...(e.query ? { query: e.query as unknown as z.ZodObject } : {}),
        ...(e.method === 'post' ? { headers: z.object({ 'Idempotency-Key': z.string().min(1).max(255).optional() }) } : {}),
        ...(bodySchema ? { body: { required: !e.bodyOptional, content: { 'application/json': { schema: bodySchema } } } } : {}),
      },
      responses,
    });
  }
}
