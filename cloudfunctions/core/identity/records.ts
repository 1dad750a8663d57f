import { MAX_POINTS } from '../points/ledger';
import { parseBeijingTime } from '../points/time';
import type { IdentifierValue } from './cluster';
import { maskPhone, normalizeEmail, normalizePhone, normalizePhoneSha256, phoneKey, phoneKeyFromSha256 } from './normalize';

/**
 * A channel membership as the identity graph keeps it: one per channel member
 * id (`tmall:T123`, `offline:C001`) or per mini-program user (`wechat:<openid>`).
 */
export interface RecordFields {
  channel: string;
  channelMemberId: string;
  identifiers: IdentifierValue[];
  /** Masked phone for display, when the record brought a phone in clear. */
  phoneMasked?: string | null;
  name?: string | null;
  joinedAt?: string | null;
  storeId?: string | null;
  guideId?: string | null;
}

export interface RowOutcome {
  record: RecordFields | null;
  /** Why the row cannot be used; the rest of the file still imports. */
  reject?: string;
  /** Fields dropped from an otherwise good row (a phone that is not a mainland mobile). */
  warnings: string[];
  opening?: { points: number; growth: number };
}

export const CHANNEL = /^[a-z][a-z0-9]{1,15}$/;

/** Identity types in `identity.priority` that are identifiers, not channels a file comes from. */
const IDENTIFIER_TYPES = new Set(['phone', 'email', 'unionid', 'openid', 'link', 'wechat']);

/** The brand's channels, files of which are imported: `identity.priority` without the identifier types. */
export const brandChannels = (priority: readonly string[]): string[] => priority.filter((type) => !IDENTIFIER_TYPES.has(type));

/**
 * The channel a member or order file comes from must be one of the brand's, as listed in the
 * config's `identity.priority`: a typo (`tmal`) would otherwise make new channel records, join
 * them by phone and pay their opening balances, or their orders' points, a second time.
 */
export function checkImportChannel(channel: string, priority: readonly string[]): void {
  const problem = unknownChannelProblem(channel, priority);
  if (problem) throw new Error(problem);
}

/** Why `channel` is not one of the brand's channels (see `checkImportChannel`), or null. */
export function unknownChannelProblem(channel: string, priority: readonly string[]): string | null {
  const known = brandChannels(priority);
  if (known.includes(channel)) return null;
  return `unknown channel "${channel}": this brand's channels are ${known.join(', ')} (config identity.priority; add a new channel there first)`;
}
/** Ids printed on cards and in exports: short, no spaces or control characters. */
const MEMBER_ID = /^[A-Za-z0-9][A-Za-z0-9_\-.:@]{0,63}$/;
const OPENID = /^[A-Za-z0-9_-]{6,64}$/;
const MAX_TEXT = 100;
/** The columns a members file may have (ARCHITECTURE §4, docs/imports.md: Member columns); `level` is read and not trusted. */
export const MEMBER_COLUMNS = ['channelMemberId', 'phone', 'phoneSha256', 'unionid', 'openid', 'email', 'name', 'points', 'growth', 'level', 'joinedAt', 'storeId', 'guideId'];
const READ_COLUMNS = new Set(MEMBER_COLUMNS);

export const recordIdOf = (channel: string, channelMemberId: string) => `${channel}:${channelMemberId}`;

/** A field as text, as a CSV cell is (a JSON number or `true` included), trimmed; undefined when empty. */
export const text = (value: unknown): string | undefined => {
  if (value === undefined || value === null) return undefined;
  const s = String(value).trim();
  return s === '' ? undefined : s;
};

/** A whole number, with Excel's thousands separators or without (`1,000` as order amounts take them). */
function integerField(value: unknown, name: string): { value?: number; error?: string } {
  const s = text(value);
  if (s === undefined) return {};
  if (!/^-?(\d{1,3}(,\d{3})+|\d{1,12})$/.test(s)) return { error: `${name}_not_integer` };
  const digits = s.replace(/,/g, '');
  if (digits.replace('-', '').length > 12) return { error: `${name}_not_integer` };
  return { value: Number(digits) };
}

/** A name written through a code page without Chinese: ASCII only, with `?` where its characters were. */
const charactersLost = (name: string | undefined): boolean => !!name && name.includes('?') && /^[\x20-\x7e]*$/.test(name);

/**
 * One member-import row (ARCHITECTURE §4 columns) as a record, or the reason
 * it is rejected. Pure: the phone hash key is passed in.
 */
export function recordFromRow(channel: string, row: Record<string, unknown>, phoneHashKey: Buffer): RowOutcome {
  const warnings: string[] = [];
  const id = text(row.channelMemberId);
  if (!id) return { record: null, reject: 'missing_channelMemberId', warnings };
  if (!MEMBER_ID.test(id)) return { record: null, reject: id.length > 64 ? 'channelMemberId_too_long' : 'channelMemberId_invalid', warnings };
  // the columns it reads: a long address or note in one it does not read costs the row nothing
  for (const [field, value] of Object.entries(row)) {
    if (typeof value === 'string' && value.length > MAX_TEXT && READ_COLUMNS.has(field)) return { record: null, reject: `${field}_too_long`, warnings };
  }

  // Excel's plain "CSV" on a Windows in another language writes each character its code page lacks
  // as `?` (张三 as ??): an ASCII-only name with a `?` lost characters, and would be stored and
  // shown so. One holding Chinese (小明?) came through UTF-8, so its `?` is the member's own. The
  // row is left for the file saved as "CSV UTF-8", and keeps the name an earlier import stored.
  if (charactersLost(text(row.name))) return { record: null, reject: 'name_characters_lost', warnings };

  const identifiers: IdentifierValue[] = [{ type: channel, value: id }];
  let phoneMasked: string | null = null;
  const rawPhone = text(row.phone);
  const rawSha = text(row.phoneSha256);
  const phone = rawPhone ? normalizePhone(rawPhone) : null;
  if (rawPhone && !phone) warnings.push('phone_not_mainland_mobile');
  if (phone) {
    identifiers.push({ type: 'phone', value: phoneKey(phoneHashKey, phone) });
    phoneMasked = maskPhone(phone);
  } else if (rawSha) {
    // partners send the mobile masked for display (`139****5678`) beside its hash: the hash still joins
    const sha = normalizePhoneSha256(rawSha);
    if (sha) identifiers.push({ type: 'phone', value: phoneKeyFromSha256(phoneHashKey, sha) });
    else warnings.push('phoneSha256_invalid');
  }
  for (const type of ['unionid', 'openid'] as const) {
    const value = text(row[type]);
    if (value && OPENID.test(value)) identifiers.push({ type, value });
    else if (value) warnings.push(`${type}_invalid`);
  }
  const rawEmail = text(row.email);
  if (rawEmail) {
    const email = normalizeEmail(rawEmail);
    if (email) identifiers.push({ type: 'email', value: email });
    else warnings.push('email_invalid');
  }

  const points = integerField(row.points, 'points');
  const growth = integerField(row.growth, 'growth');
  const error = points.error ?? growth.error;
  if (error) return { record: null, reject: error, warnings };
  if ((growth.value ?? 0) < 0) return { record: null, reject: 'growth_negative', warnings };
  // past what one ledger entry may carry, the opening balance would fail its whole batch
  if (Math.abs(points.value ?? 0) > MAX_POINTS) return { record: null, reject: 'points_too_large', warnings };
  if ((growth.value ?? 0) > MAX_POINTS) return { record: null, reject: 'growth_too_large', warnings };

  const joined = text(row.joinedAt);
  const joinedAt = joined ? parseBeijingTime(joined) : null;
  if (joined && !joinedAt) warnings.push('joinedAt_invalid');

  const opening = points.value || growth.value ? { points: points.value ?? 0, growth: growth.value ?? 0 } : undefined;
  return {
    record: {
      channel,
      channelMemberId: id,
      identifiers,
      phoneMasked,
      name: text(row.name) ?? null,
      joinedAt,
      storeId: text(row.storeId) ?? null,
      guideId: text(row.guideId) ?? null,
    },
    warnings,
    opening,
  };
}
