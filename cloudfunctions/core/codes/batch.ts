import { createHash } from 'node:crypto';
import { isDisplayableName } from '../contracts/text';
import { parseBeijingTime } from '../points/time';
import type { Doc } from '../store/port';
import { BATCH_CHARS, MAX_SERIAL, encodeNumber, type ParsedCode } from './code';

/**
 * `codeBatches/{batchId}`: one print run of codes for one product. No document
 * exists per code until a code is redeemed (see claims.store.ts). Pure rules.
 */
export interface BatchDoc extends Doc {
  sku: string;
  name: string;
  points: number;
  /** The `codes.maxPoints` codes create checked `points` against: a cap lowered since is for later batches. */
  maxPoints?: number;
  count: number;
  keyId: string;
  tagChars: number;
  /** End of validity (ISO), or null for no end. */
  validTo: string | null;
  /** `pending` while its file is being written; `revoked` when its key was revoked or it was withdrawn. */
  status: 'pending' | 'active' | 'revoked';
  createdAt: string;
  activatedAt: string | null;
  revokedAt: string | null;
}

export interface BatchSpec {
  sku: string;
  name: string;
  points: number;
  count: number;
  validTo: string | null;
}

const SKU = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const DAY_MS = 86_400_000;

/** What `parseValidTo` reads, as the CLI's help for `--valid-to` says it (codes create, campaigns add). */
export const VALID_TO_FORMS = 'YYYY-MM-DD (to the end of that day) or a time (YYYY-MM-DD HH:MM, or ISO with a zone); Beijing time unless it carries a zone';

/**
 * `YYYY-MM-DD` is the end of that day in Beijing; a time is read as imports read
 * theirs (Beijing time unless it carries a zone), never in the machine's zone.
 */
export function parseValidTo(text: string): string | null {
  const start = parseBeijingTime(text);
  if (!start) return null;
  // a date, with or without a zone, runs to the end of that day (in that zone)
  if (!/^\d{4}[-/]\d{1,2}[-/]\d{1,2}\s*(?:[Zz]|[+-]\d{2}:?\d{2})?$/.test(text.trim())) return start;
  return new Date(Date.parse(start) + DAY_MS - 1).toISOString();
}

/** The reasons a batch request is refused, as one message; null when it is good. */
export function batchSpecProblem(spec: BatchSpec, maxPoints: number, now: number): string | null {
  if (!SKU.test(spec.sku)) return 'sku must be 1-64 letters, digits, _ . - (starting with a letter or digit)';
  const name = spec.name.trim();
  if (name.length === 0 || name.length > 60 || !isDisplayableName(name)) return 'name must be 1-60 visible characters, without control or direction characters';
  if (!Number.isInteger(spec.points) || spec.points < 1 || spec.points > maxPoints) return `points must be an integer from 1 to ${maxPoints}`;
  if (!Number.isInteger(spec.count) || spec.count < 1 || spec.count > MAX_SERIAL) return `count must be an integer from 1 to ${MAX_SERIAL}`;
  if (spec.validTo !== null && Date.parse(spec.validTo) <= now) return 'valid-to must be in the future';
  return null;
}

/** A batch id from a fresh unique id: deterministic in tests, random in production. */
export function batchIdFrom(seed: string): string {
  const digest = createHash('sha256').update(seed).digest();
  return encodeNumber(digest.readUInt32BE(0) % 32 ** BATCH_CHARS, BATCH_CHARS);
}

/** `withdrawn`: a real batch an operator revoked (its goods are real; its points are stopped). */
export type BatchCheck = 'ok' | 'invalid' | 'expired' | 'withdrawn';

/**
 * Whether a code whose tag verified may be redeemed under its batch: the batch
 * exists and is active, the code matches how the batch was made, and it is
 * still valid at `now`.
 */
export function checkAgainstBatch(batch: BatchDoc | null, code: ParsedCode, now: number, maxPoints: number): BatchCheck {
  if (!batch) return 'invalid';
  if (batch.keyId !== code.keyId || batch.tagChars !== code.tag.length || code.serial > batch.count) return 'invalid';
  // pending: never finished (an interrupted codes create); its codes are ours all the same, not forgeries
  if (batch.status !== 'active') return 'withdrawn';
  // a batch document that reached the store by other means than codes create (CloudBase has no
  // CLI) is held to the same cap: a typo in its points is stopped, not paid out; one codes create
  // checked keeps the cap it was printed under (lowering it is for later runs, not codes on shelves)
  const cap = Number.isInteger(batch.maxPoints) ? batch.maxPoints! : maxPoints;
  if (!Number.isInteger(batch.points) || batch.points < 1 || batch.points > cap) return 'withdrawn';
  if (batch.validTo !== null && Date.parse(batch.validTo) < now) return 'expired';
  return 'ok';
}
