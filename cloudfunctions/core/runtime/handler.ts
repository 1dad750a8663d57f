import * as z from 'zod/mini';
import { ERROR_STATUS, type Envelope, type ErrorCode } from '../contracts/errors';
import { StoreBusyError, StoreConflictError } from '../store/port';
import { AppError } from './errors';
import { describeIssues } from './issues';
import { maskOpenid } from './log';
import type { Caller, Services } from './services';

/** One action of a cloud function: its event schema and the service it calls. */
export interface Action<I = unknown, O = unknown> {
  input: z.ZodMiniType<I>;
  /** False only for actions anyone may call; by default a caller openid is required. */
  needsCaller?: boolean;
  run(input: I, caller: Caller, services: Services): Promise<O>;
}

export function action<I, O>(definition: Action<I, O>): Action<I, O> {
  return definition;
}

export interface CloudFunction {
  name: string;
  actions: Record<string, Action<any, any>>;
}

const eventShape = z.object({ action: z.string() });

function fail(code: ErrorCode, message: string, details?: Record<string, unknown>): Envelope<never> {
  return { ok: false, error: details ? { code, message, details } : { code, message } };
}

/**
 * The only way into the core from a door (cloud entry, local runtime, tests):
 * validates the event, checks the caller, runs one action, and always answers
 * with the envelope. Nothing thrown inside escapes; nothing is written for bad
 * input because validation happens before the service runs.
 */
export async function invoke(fn: CloudFunction, event: unknown, caller: Caller, services: Services): Promise<Envelope<unknown>> {
  const head = eventShape.safeParse(event);
  if (!head.success) return fail('INVALID_INPUT', 'event must be an object with an action');
  const act = Object.hasOwn(fn.actions, head.data.action) ? fn.actions[head.data.action] : undefined;
  if (!act) return fail('UNKNOWN_ACTION', `${fn.name} has no action ${head.data.action.slice(0, 40)}`);
  const input = act.input.safeParse(event);
  if (!input.success) return fail('INVALID_INPUT', describeIssues(input.error.issues, '(event)'));
  if (act.needsCaller !== false && !caller.openid) return fail('UNAUTHENTICATED', 'no caller identity');

  try {
    return { ok: true, data: await act.run(input.data, caller, services) };
  } catch (error) {
    if (error instanceof AppError) return fail(error.code, error.message, error.details);
    if (error instanceof StoreConflictError || error instanceof StoreBusyError) return fail('CONFLICT', 'the request conflicted with another; retry');
    const where = error instanceof Error ? error.stack?.split('\n')[1]?.trim() : undefined;
    services.log.error('action_failed', {
      fn: fn.name,
      action: head.data.action,
      caller: maskOpenid(caller.openid),
      error: error instanceof Error ? error.name : typeof error,
      // a code such as SQLITE_FULL or SQLITE_CORRUPT tells a full disk from a damaged file; it carries no one's data
      code: errorCode(error),
      // wx-server-sdk's number for what CloudBase or WeChat refused (-502005: a collection not created
      // yet; -604101: an open API config.json does not declare), which its stack frame does not tell
      errCode: sdkErrorCode(error),
      where,
    });
    return fail('INTERNAL', 'internal error');
  }
}

/** An error's own code (SQLITE_FULL, ECONNRESET), when it is one: a word of capitals, never a message. */
function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,39}$/.test(code) ? code : undefined;
}

/** wx-server-sdk's `errCode`, a whole number (its message may quote the request, so it is not logged). */
function sdkErrorCode(error: unknown): number | undefined {
  const errCode = (error as { errCode?: unknown } | null)?.errCode;
  return Number.isSafeInteger(errCode) ? (errCode as number) : undefined;
}

export const statusOf = (envelope: Envelope<unknown>): number => (envelope.ok ? 200 : ERROR_STATUS[envelope.error.code]);
