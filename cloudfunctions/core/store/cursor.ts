import { Scalar, StoreQueryError } from './port';

/** A cursor is the sort value and id of the last item of a page, opaque to callers. */
export interface CursorPosition {
  value: Scalar;
  id: string;
}

export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.value, position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[1] === 'string') {
      const value = parsed[0] as unknown;
      if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) {
        return { value: value as Scalar, id: parsed[1] };
      }
    }
  } catch {
    // fall through to the typed error
  }
  throw new StoreQueryError('malformed cursor');
}
