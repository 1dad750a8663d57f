/**
 * The stable error codes every door answers with. Pages map each to a Chinese
 * message; the dev runtime maps each to an HTTP status. Plain constants only:
 * the mini-program imports this file, so it must not pull in zod.
 */
export const ERROR_STATUS = {
  INVALID_INPUT: 400,
  UNKNOWN_ACTION: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  NOT_BOUND: 403,
  CONSENT_REQUIRED: 403,
  TERMS_OUTDATED: 409,
  PHONE_CODE_INVALID: 400,
  PHONE_CONFLICT: 409,
  CARD_MISMATCH: 400,
  INSUFFICIENT_POINTS: 409,
  IDEMPOTENCY_MISMATCH: 409,
  CODE_INVALID: 400,
  CODE_EXPIRED: 410,
  CODE_ALREADY_REDEEMED: 409,
  RATE_LIMITED: 429,
  LOCKED: 423,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_CODES = Object.keys(ERROR_STATUS) as ErrorCode[];

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  /** Facts the page may show (e.g. `redeemedAt`); never personal data. */
  details?: Record<string, unknown>;
}

export type Envelope<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };
