import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { AppError } from '../../domain/errors.js';
import type { Logger } from '../../sync/contract.js';

/** RFC 9457 problem details. `type` is stable per kind of problem: clients may switch on it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Validation problems: where each one is, as a JSON Pointer into `/body`, `/query` or `/params`. */
  errors?: Array<{ path: string; message: string }>;
  /** 5xx only: quote it to the operator, who finds the cause in the log. */
  correlationId?: string;
}

const BASE = 'https://resetbridge.dev/problems/';

/** Every kind of problem the API answers with; the slug is the end of the `type` URI. */
export const PROBLEMS = {
  'validation': { status: 422, title: 'The request is not valid' },
  'malformed-json': { status: 400, title: 'The body is not valid JSON' },
  'unsupported-media-type': { status: 415, title: 'Send the body as application/json' },
  'payload-too-large': { status: 413, title: 'The body is too large' },
  'unauthorized': { status: 401, title: 'Authentication required' },
  'insufficient-scope': { status: 403, title: 'The client lacks the scope for this' },
  'forbidden': { status: 403, title: 'Not allowed for this client' },
  'out-of-band-not-allowed': { status: 403, title: 'The partner does not allow reset links to be returned' },
  'not-found': { status: 404, title: 'Not found' },
  'conflict': { status: 409, title: 'Conflict with the current state' },
  'idempotency-key-in-use': { status: 409, title: 'A request with this Idempotency-Key is still running' },
  'idempotency-key-reused': { status: 422, title: 'This Idempotency-Key was used for another request' },
  'link-not-replayed': { status: 409, title: 'A returned reset link is not kept for replay' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'unavailable': { status: 503, title: 'Temporarily unavailable' },
  'internal': { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemKind = keyof typeof PROBLEMS;

export const problemType = (kind: ProblemKind) => `${BASE}${kind}`;

/** An error the API answers as this problem; thrown from handlers and middleware. */
export class ApiProblem extends Error {
  constructor(
    readonly kind: ProblemKind,
    readonly detail: string,
    readonly extra: { errors?: Problem['errors']; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = 'ApiProblem';
  }
}

export function problemBody(kind: ProblemKind, detail: string, extra: Partial<Problem> = {}): Problem {
  const { status, title } = PROBLEMS[kind];
  return { type: problemType(kind), title, status, detail, ...extra };
}

export function sendProblem(res: Response, kind: ProblemKind, detail: string, extra: Partial<Problem> = {}): void {
  const body = problemBody(kind, detail, extra);
  const { status } = body;
  // Through res.json, so an idempotent request records this answer too.
  res.status(status).type('application/problem+json').json(body);
}

const byCode: Record<string, ProblemKind> = {
  NOT_FOUND: 'not-found', CONFLICT: 'conflict', VALIDATION: 'validation', FORBIDDEN: 'forbidden',
  RATE_LIMITED: 'rate-limited', STORE_UNAVAILABLE: 'unavailable',
  INSUFFICIENT_SCOPE: 'insufficient-scope', OUT_OF_BAND_NOT_ALLOWED: 'out-of-band-not-allowed',
};

const byStatus: Record<number, ProblemKind> = { 400: 'validation', 403: 'forbidden', 404: 'not-found', 409: 'conflict', 422: 'validation', 429: 'rate-limited', 503: 'unavailable' };

/** body-parser's error types. */
const parserErrors: Record<string, ProblemKind> = {
  'entity.parse.failed': 'malformed-json', 'entity.too.large': 'payload-too-large',
  'encoding.unsupported': 'unsupported-media-type', 'charset.unsupported': 'unsupported-media-type',
};

export const apiNotFound: RequestHandler = (req, _res, next) => {
  next(new ApiProblem('not-found', `There is no ${req.method} ${req.baseUrl}${req.path} in this API.`));
};

/**
 * Every error under /api becomes problem+json. Exposed application errors keep their message;
 * anything else is logged with a correlation id and answered without detail.
 */
export function apiErrorHandler(logger: Logger, opts: { retryAfterSeconds: number }): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (err instanceof ApiProblem) {
      for (const [k, v] of Object.entries(err.extra.headers ?? {})) res.set(k, v);
      sendProblem(res, err.kind, err.detail, err.extra.errors ? { errors: err.extra.errors } : {});
      return;
    }
    const parser = typeof err?.type === 'string' ? parserErrors[err.type] : undefined;
    if (parser) {
      sendProblem(res, parser, parser === 'payload-too-large' ? 'The body is larger than this API accepts (bulk calls take up to 10,000 records).' : String(err.message));
      return;
    }
    if (err instanceof AppError && err.expose) {
      const kind = byCode[err.code] ?? byStatus[err.status] ?? 'conflict';
      if (kind === 'unavailable') res.set('Retry-After', '60');
      const retry = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      if (kind === 'rate-limited') res.set('Retry-After', String(typeof retry === 'number' ? retry : opts.retryAfterSeconds));
      // Services name where a refused input is wrong (InputError): passed on as the problem's list.
      const errors = (err as { errors?: unknown }).errors;
      sendProblem(res, kind, err.message, Array.isArray(errors) ? { errors: errors as Problem['errors'] } : {});
      return;
    }
    const correlationId = randomUUID();
    logger.error({ correlationId, code: err?.code, err: String(err?.stack ?? err).slice(0, 2000), path: req.path }, 'API request failed');
    sendProblem(res, 'internal', 'Something went wrong on our side. Try again later; quote the correlation id if it persists.', { correlationId });
  };
}
