import { status } from '@grpc/grpc-js';

/** Name of a gRPC status code number ("NOT_FOUND"), or "UNKNOWN". */
export function statusName(code: number): string {
  return (status as unknown as Record<number, string>)[code] ?? 'UNKNOWN';
}

/**
 * A failed call. `code` is the gRPC status number (compare with grpc.status.NOT_FOUND),
 * `codeName` its name and `details` the server's message, which names the offending field and
 * value (and, for NOT_FOUND, the missing ids).
 */
export class LaitError extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly details: string;
  readonly method: string;

  constructor(code: number, details: string, method = '') {
    super(`${method ? `${method}: ` : ''}${statusName(code)}: ${details}`);
    this.name = 'LaitError';
    this.code = code;
    this.codeName = statusName(code);
    this.details = details;
    this.method = method;
  }

  /** Wraps a grpc-js ServiceError (anything with a numeric `code`); other errors pass through. */
  static from(error: unknown, method = ''): unknown {
    if (error instanceof LaitError) return error;
    const e = error as { code?: unknown; details?: unknown; message?: unknown };
    if (e && typeof e.code === 'number') {
      return new LaitError(e.code, typeof e.details === 'string' ? e.details : String(e.message ?? ''), method);
    }
    return error;
  }
}
