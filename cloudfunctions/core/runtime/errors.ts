import type { ErrorCode } from '../contracts/errors';

/**
 * An expected failure with a stable code. Services throw it; the handler turns
 * it into `{ ok: false, error }`. The message is shown to developers, never
 * carries personal data, and may be replaced by the page's Chinese text;
 * `details` go to the page as they are (a time, a count), so never whose.
 */
export class AppError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
  }
}

export const isAppError = (error: unknown): error is AppError => error instanceof AppError;
