import { randomBytes } from 'node:crypto';
import { decryptPhone, encryptPhone, maskPhone, normalizeEmail, normalizePhone, normalizePhoneSha256, phoneKey, phoneKeyFromSha256, phoneSha256 } from './normalize';

describe('normalizePhone', () => {
  it.each([
    ['13800138000', '13800138000'],
    ['+86 138-0013-8000', '13800138000'],
    ['+8613800138000', '13800138000'],
    ['008613800138000', '13800138000'],
    ['0086 138 0013 8000', '13800138000'],
    ['8613800138000', '13800138000'],
    ['138 0013 8000', '13800138000'],
    ['138-0013-8000', '13800138000'],
    ['(+86) 138.0013.8000', '13800138000'],
    ['１３８００１３８０００', '13800138000'],
    ['１３８－００１３－８０００', '13800138000'],
    ['（＋８６）１３８．００１３．８０００', '13800138000'],
    ['  19912345678 ', '19912345678'],
    ['+0086 138 0013 8000', '13800138000'],
  ])('reads %s as %s', (input, expected) => {
    expect(normalizePhone(input)).toBe(expected);
  });

  it.each([
    ['a landline', '010-12345678'],
    ['a number starting 12', '12800138000'],
    ['ten digits', '1380013800'],
    ['twelve digits', '138001380001'],
    ['a Hong Kong mobile', '+852 91234567'],
    ['a US number whose 11 digits look like a mainland mobile', '+1 (415) 555-0100'],
    ['a UK number', '+44 1512345678'],
    ['letters', '1380013800a'],
    ['empty', ''],
    ['a huge field', '1'.repeat(10_000)],
    ['86 prefix on a short number', '861380013800'],
  ])('refuses %s', (_name, input) => {
    expect(normalizePhone(input)).toBeNull();
  });
});

describe('phone keys', () => {
  const key = randomBytes(32);

  it('gives a partner phoneSha256 the same key as the number itself', () => {
    expect(phoneKeyFromSha256(key, phoneSha256('13800138000'))).toBe(phoneKey(key, '13800138000'));
    expect(normalizePhoneSha256(phoneSha256('13800138000').toUpperCase())).toBe(phoneSha256('13800138000'));
  });

  it('differs under another secret, so a stolen database does not give the numbers away', () => {
    expect(phoneKey(randomBytes(32), '13800138000')).not.toBe(phoneKey(key, '13800138000'));
  });

  it('refuses a phoneSha256 that is not 64 hex characters', () => {
    expect(normalizePhoneSha256('abc')).toBeNull();
    expect(normalizePhoneSha256('g'.repeat(64))).toBeNull();
  });

  it('masks for display and seals for the places that need the number back', () => {
    expect(maskPhone('13800138000')).toBe('138****8000');
    const sealed = encryptPhone(key, '13800138000');
    expect(sealed).not.toContain('13800138000');
    expect(decryptPhone(key, sealed)).toBe('13800138000');
    expect(() => decryptPhone(randomBytes(32), sealed)).toThrow();
  });
});

describe('normalizeEmail', () => {
  it('trims and lower-cases', () => expect(normalizeEmail('  Li.Lei@Example.COM ')).toBe('li.lei@example.com'));
  it('refuses what is not an address', () => expect(normalizeEmail('li lei@x')).toBeNull());
});
