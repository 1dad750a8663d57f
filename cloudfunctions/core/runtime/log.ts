/**
 * Structured logs on stderr, one JSON object per line. Callers pass only
 * codes, ids and counts: never a phone, a full openid, a secret or a stack.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

function write(level: string, event: string, fields: LogFields = {}): void {
  process.stderr.write(`${JSON.stringify({ level, event, ...fields, at: new Date().toISOString() })}\n`);
}

export const stderrLogger: Logger = {
  info: (event, fields) => write('info', event, fields),
  warn: (event, fields) => write('warn', event, fields),
  error: (event, fields) => write('error', event, fields),
};

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** `oAbc…xyz`: enough to correlate two log lines, not enough to identify anyone. */
export function maskOpenid(openid: string | null | undefined): string | null {
  if (!openid) return null;
  return openid.length <= 6 ? '***' : `${openid.slice(0, 3)}…${openid.slice(-3)}`;
}
