// The thin HTTP seam to a SCIM 2.0 service provider: one request in, status + parsed body out.
// It knows nothing about error classes; index.ts and errors.ts decide what an answer means.

export const SCIM_JSON = 'application/scim+json';

export interface ScimRequest {
  /** Path under the base URL, already encoded (see `userPath`). */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  ifMatch?: string;
}

export interface ScimResponse {
  status: number;
  /** Parsed JSON, or undefined for an empty or non-JSON body. */
  body: unknown;
  retryAfter: string | null;
  location: string | null;
}

/** A request that got no HTTP answer. `sent` says whether the server may have acted on it. */
export class ScimNetworkError extends Error {
  constructor(
    message: string,
    readonly kind: 'timeout' | 'connect' | 'tls' | 'broken',
    readonly sent: boolean,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'ScimNetworkError';
  }
}

export interface ScimClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  fetch: typeof fetch;
}

// Failures that happen before a byte of the request reached the server.
const CONNECT_CODES = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT',
]);
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_|ERR_TLS|ERR_SSL|DEPTH_ZERO/;

export class ScimClient {
  readonly #base: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(opts: ScimClientOptions) {
    this.#base = opts.baseUrl.replace(/\/+$/, '');
    this.#token = opts.token;
    this.#timeoutMs = opts.timeoutMs;
    this.#fetch = opts.fetch;
  }

  get baseUrl(): string {
    return this.#base;
  }

  async send(method: 'GET' | 'PATCH', req: ScimRequest): Promise<ScimResponse> {
    const url = new URL(this.#base + req.path);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
    const headers: Record<string, string> = { accept: `${SCIM_JSON}, application/json`, authorization: `Bearer ${this.#token}` };
    if (req.body !== undefined) headers['content-type'] = SCIM_JSON;
    if (req.ifMatch !== undefined) headers['if-match'] = req.ifMatch;

    let res: Response;
    try {
      res = await this.#fetch(url, {
        method,
        headers,
        ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
        // A redirect would replay the bearer token (and a password) to wherever it points.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      return { status: res.status, body: await readBody(res), retryAfter: res.headers.get('retry-after'), location: res.headers.get('location') };
    } catch (e) {
      throw networkError(e, this.#timeoutMs);
    }
  }
}

async function readBody(res: Response): Promise<unknown> {
  const text = await res.text();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function networkError(e: unknown, timeoutMs: number): ScimNetworkError {
  const name = (e as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new ScimNetworkError(`no answer within ${timeoutMs} ms`, 'timeout', true);
  }
  const cause = (e as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code && CONNECT_CODES.has(code)) return new ScimNetworkError(`cannot connect (${code})`, 'connect', false, code);
  if (code && TLS_CODES.test(code)) return new ScimNetworkError(`TLS certificate not accepted (${code})`, 'tls', false, code);
  return new ScimNetworkError(`connection failed${code ? ` (${code})` : ''}`, 'broken', true, code);
}

/** `/Users/{id}` with the id percent-encoded, so an id can never add path segments or a query. */
export const userPath = (id: string) => `/Users/${encodeURIComponent(id)}`;

/**
 * `attr eq "value"`. RFC 7644 §3.4.2.2 makes a filter's string a JSON string, so JSON.stringify does the
 * quoting and escaping; URLSearchParams then encodes it for the query.
 */
export const eqFilter = (attribute: string, value: string) => `${attribute} eq ${JSON.stringify(value)}`;
