import { randomBytes } from 'node:crypto';
import { timeOrderedIds } from '../runtime/ids';
import { MAX_CODE_AHEAD_SECONDS, signMemberBarcode, signMemberCode, verifyMemberBarcode, verifyMemberCode } from './member-code';

describe('member codes for the till', () => {
  const key = randomBytes(32);
  const memberId = timeOrderedIds.next('m');
  const now = Date.parse('2026-11-23T12:00:00Z');
  const expires = now / 1000 + 60;

  it('signs a barcode of 54 digits that a till verifies with the key alone', () => {
    const digits = signMemberBarcode(key, memberId, expires)!;
    expect(digits).toMatch(/^\d{54}$/);
    expect(verifyMemberBarcode(key, digits, now)).toBe(memberId);
  });

  it('refuses an expired, altered, truncated or foreign barcode', () => {
    const digits = signMemberBarcode(key, memberId, expires)!;
    const altered = digits.slice(0, 30) + ((Number(digits[30]) + 1) % 10) + digits.slice(31);
    expect(verifyMemberBarcode(key, digits, expires * 1000)).toBeNull();
    expect(verifyMemberBarcode(key, altered, now)).toBeNull();
    expect(verifyMemberBarcode(key, digits.slice(1), now)).toBeNull();
    expect(verifyMemberBarcode(randomBytes(32), digits, now)).toBeNull();
    expect(verifyMemberBarcode(key, '9'.repeat(54), now)).toBeNull();
  });

  it('carries the same member as the QR token', () => {
    expect(verifyMemberCode(key, signMemberCode(key, memberId, expires), now)).toBe(verifyMemberBarcode(key, signMemberBarcode(key, memberId, expires)!, now));
  });

  it('has no barcode for an id the time-ordered source did not make', () => {
    expect(signMemberBarcode(key, 'm_000001', expires)).toBeNull();
  });
});

describe('member codes a till would accept', () => {
  const key = randomBytes(32);
  const memberId = timeOrderedIds.next('m');
  const now = Date.parse('2026-11-23T12:00:00Z');

  it('refuses a code that expires further ahead than any member code is issued for (the longest TTL, 600 s, and a minute of a slow till clock)', () => {
    // a till holds the key that signs: one that minted a code for years would have it accepted everywhere
    const decades = Date.parse('2100-01-01T00:00:00Z') / 1000;
    expect(verifyMemberCode(key, signMemberCode(key, memberId, decades), now)).toBeNull();
    expect(verifyMemberBarcode(key, signMemberBarcode(key, memberId, decades)!, now)).toBeNull();
    const furthest = now / 1000 + MAX_CODE_AHEAD_SECONDS;
    expect(verifyMemberCode(key, signMemberCode(key, memberId, furthest), now)).toBe(memberId);
    expect(verifyMemberCode(key, signMemberCode(key, memberId, furthest + 1), now)).toBeNull();
    expect(verifyMemberBarcode(key, signMemberBarcode(key, memberId, furthest)!, now)).toBe(memberId);
    expect(verifyMemberBarcode(key, signMemberBarcode(key, memberId, furthest + 1)!, now)).toBeNull();
  });

  it('has one spelling: a token with its expiry written with a leading zero is refused (a till remembering tokens seen would take it for a new one)', () => {
    const token = signMemberCode(key, memberId, now / 1000 + 60);
    const [prefix, id, expires, tag] = token.split('.');
    expect(verifyMemberCode(key, `${prefix}.${id}.0${expires}.${tag}`, now)).toBeNull();
    expect(verifyMemberCode(key, token, now)).toBe(memberId);
  });
});
