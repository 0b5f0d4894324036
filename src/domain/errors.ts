// One error model: a code, an HTTP status, and whether the message may be shown to the user.

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  readonly detail?: string;

  constructor(code: string, status: number, message: string, opts: { expose?: boolean; detail?: string } = {}) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.expose = opts.expose ?? status < 500;
    if (opts.detail !== undefined) this.detail = opts.detail;
  }
}

export const notFound = (what = 'Page') => new AppError('NOT_FOUND', 404, `${what} not found.`);
export const forbidden = (message = 'You do not have access to this page.') => new AppError('FORBIDDEN', 403, message);
