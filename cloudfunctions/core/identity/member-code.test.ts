import { randomBytes } from 'node:crypto';
import { timeOrderedIds } from '../runtime/ids';
import { signMemberBarcode, signMemberCode, verifyMemberBarcode, verifyMemberCode } from './member-code';

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
