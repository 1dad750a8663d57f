import { randomBytes } from 'node:crypto';
import {
  CODE_ALPHABET, MAX_SERIAL, MIN_CODE_LENGTH, batchSigner, decodeNumber, encodeNumber, parseCode, tagCharsFor, verifyCode,
} from './code';

const keyA = { id: 'A', key: randomBytes(32) };
const keyB = { id: 'B', key: randomBytes(32) };

describe('product codes', () => {
  const sign = batchSigner(keyA, 'K7QM', 12);

  test('a code is 22 characters of the alphabet and carries key, batch and serial', () => {
    const code = sign(1234);
    expect(code).toHaveLength(22);
    expect([...code].every((c) => CODE_ALPHABET.includes(c))).toBe(true);
    expect(parseCode(code)).toMatchObject({ keyId: 'A', batchId: 'K7QM', serial: 1234, body: code.slice(0, 10) });
    expect(verifyCode(parseCode(code)!, [keyA], [])).toBe('ok');
  });

  test('the alphabet has 32 symbols and none of 0 O 1 I', () => {
    expect(new Set(CODE_ALPHABET).size).toBe(32);
    for (const c of '0O1I') expect(CODE_ALPHABET).not.toContain(c);
  });

  test('numbers round-trip at fixed width', () => {
    for (const n of [0, 1, 31, 32, 12345, MAX_SERIAL]) expect(decodeNumber(encodeNumber(n, 5))).toBe(n);
    expect(decodeNumber('A0B')).toBe(-1);
  });

  test('lower case is read as upper case; other characters, truncation and extra length are not codes', () => {
    const code = sign(7);
    expect(verifyCode(parseCode(code.toLowerCase())!, [keyA], [])).toBe('ok');
    expect(parseCode(code.slice(0, -1) + '0')).toBeNull();
    expect(parseCode(code.slice(0, MIN_CODE_LENGTH - 1))).toBeNull();
    expect(parseCode(`${code}ABCDEFGHJ`)).toBeNull();
    expect(parseCode(code.replace(/.$/, 'é'))).toBeNull();
    expect(parseCode(`A${'2'.repeat(21)}`)).toBeNull(); // serial 0 is never issued
  });

  test('changing any one character breaks the tag', () => {
    const code = sign(99);
    for (let i = 0; i < code.length; i++) {
      const other = CODE_ALPHABET[(CODE_ALPHABET.indexOf(code[i]!) + 1) % 32];
      const parsed = parseCode(code.slice(0, i) + other + code.slice(i + 1));
      if (parsed) expect(verifyCode(parsed, [keyA, { ...keyB, id: other! }], [])).not.toBe('ok');
    }
  });

  test('a cut tag does not verify even when the rest is right', () => {
    const long = batchSigner(keyA, 'K7QM', 13)(5);
    expect(verifyCode(parseCode(long.slice(0, -1))!, [keyA], [])).toBe('bad_tag');
  });

  test('1,000,000 random codes of the right shape under a known key: none accepted', () => {
    const keys = [keyA, keyB];
    let accepted = 0;
    const chars = new Array<string>(22);
    const noise = randomBytes(22 * 1_000_000);
    for (let n = 0; n < 1_000_000; n++) {
      chars[0] = n % 2 ? 'A' : 'B';
      for (let i = 1; i < 22; i++) chars[i] = CODE_ALPHABET[noise[n * 22 + i]! & 31]!;
      const parsed = parseCode(chars.join(''));
      if (parsed && verifyCode(parsed, keys, []) === 'ok') accepted++;
    }
    expect(accepted).toBe(0);
  });

  test('rotation: codes signed by an older key still verify while it is configured', () => {
    const old = batchSigner(keyA, 'XLD2', 12)(1);
    const fresh = batchSigner(keyB, 'NEW2', 12)(1);
    expect(verifyCode(parseCode(old)!, [keyB, keyA], [])).toBe('ok');
    expect(verifyCode(parseCode(fresh)!, [keyB, keyA], [])).toBe('ok');
    expect(verifyCode(parseCode(old)!, [keyB], [])).toBe('unknown_key');
  });

  test('revocation: a revoked key id refuses its codes even while its key is configured', () => {
    expect(verifyCode(parseCode(sign(3))!, [keyA], ['A'])).toBe('revoked_key');
    expect(verifyCode(parseCode(sign(3))!, [keyA], new Set(['A']))).toBe('revoked_key');
  });

  test('a code key of the same id but another secret does not verify', () => {
    expect(verifyCode(parseCode(sign(3))!, [{ id: 'A', key: randomBytes(32) }], [])).toBe('bad_tag');
  });

  test('signing refuses key ids outside the alphabet, bad batch ids and serials', () => {
    expect(() => batchSigner({ id: 'K1', key: keyA.key }, 'K7QM', 12)).toThrow();
    expect(() => batchSigner({ id: '0', key: keyA.key }, 'K7QM', 12)).toThrow();
    expect(() => batchSigner(keyA, 'K7Q', 12)).toThrow();
    expect(() => sign(0)).toThrow();
    expect(() => sign(MAX_SERIAL + 1)).toThrow();
  });

  test('tag bits: multiples of 5 from 60 to 100', () => {
    expect(tagCharsFor(60)).toBe(12);
    expect(tagCharsFor(100)).toBe(20);
    expect(() => tagCharsFor(55)).toThrow();
    expect(() => tagCharsFor(62)).toThrow();
  });
});
