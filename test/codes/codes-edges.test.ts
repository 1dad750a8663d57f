/**
 * Product-code edges that a second round of hand-made mutants of codes/ showed the suite let pass:
 * the tag is pinned to the format printed codes carry (an implementation that changed its bits
 * would refuse every code on the shelves while still agreeing with itself), and the last serial.
 */
import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { runs, timeoutFor } from '../support/property';
import { withdrawBatch } from '../../cloudfunctions/core/codes/batches.store';
import { createBatch } from '../../cloudfunctions/core/codes/create';
import { CODE_ALPHABET, MAX_SERIAL, batchSigner, parseCode, verifyCode } from '../../cloudfunctions/core/codes/code';
import { boundConsumer } from '../support/members';
import { openTestServices, reconfigured, type TestServices } from '../support/services';
import { InvalidScanLimiter } from '../../cloudfunctions/core/codes/rate-limit';
import { makeBatch, redeem } from './support';

/** The tag as code.ts documents it, written apart: HMAC-SHA256(key, "MC-CODE1:" + body + ":" + length), 5 bits per character from the top. */
function referenceTag(key: Buffer, body: string, chars: number): string {
  const digest = createHmac('sha256', key).update(`MC-CODE1:${body}:${chars}`).digest();
  const bits = [...digest].map((byte) => byte.toString(2).padStart(8, '0')).join('');
  let tag = '';
  for (let i = 0; i < chars; i++) tag += CODE_ALPHABET[parseInt(bits.slice(i * 5, i * 5 + 5), 2)];
  return tag;
}

describe('the printed code format', () => {
  const key = { id: 'A', key: Buffer.alloc(32, 7) };

  test('codes printed under this format keep verifying: fixed codes of a fixed key', () => {
    expect(batchSigner(key, 'K7QM', 12)(1)).toBe('AK7QM2222376LWSLC6BUUP');
    expect(batchSigner(key, 'K7QM', 20)(MAX_SERIAL)).toBe('AK7QMZZZZZFFWTH2Q5X7LQJQQLMA2W');
    for (const code of ['AK7QM2222376LWSLC6BUUP', 'ak7qmzzzzzffwth2q5x7lqjqqlma2w']) expect(verifyCode(parseCode(code)!, [key], [])).toBe('ok');
  });

  test('every tag length from 12 to 20 characters is the first bits of the documented HMAC', () => {
    for (let chars = 12; chars <= 20; chars++) {
      for (const serial of [1, 2, 31, 32, 1023, 8193, MAX_SERIAL]) {
        const code = batchSigner(key, 'XLD2', chars)(serial);
        expect(code.slice(10)).toBe(referenceTag(key.key, code.slice(0, 10), chars));
      }
    }
  });

  test('property: any key, batch, serial and tag length sign the documented tag, and the code verifies', () => {
    const codeChar = fc.constantFrom(...CODE_ALPHABET);
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 64 }), codeChar, fc.array(codeChar, { minLength: 4, maxLength: 4 }), fc.integer({ min: 1, max: MAX_SERIAL }), fc.integer({ min: 12, max: 20 }),
      (bytes, id, batch, serial, chars) => {
        const signer = { id, key: Buffer.from(bytes) };
        const code = batchSigner(signer, batch.join(''), chars)(serial);
        expect(code.slice(10)).toBe(referenceTag(signer.key, code.slice(0, 10), chars));
        expect(parseCode(code)).toMatchObject({ keyId: id, batchId: batch.join(''), serial });
        expect(verifyCode(parseCode(code)!, [signer], [])).toBe('ok');
      },
    ), { numRuns: runs(300) });
  }, timeoutFor());

  test('the last serial, ZZZZZ (32^5 - 1), is signed, parsed and verified; the next is refused', () => {
    expect(MAX_SERIAL).toBe(32 ** 5 - 1);
    const sign = batchSigner(key, 'K7QM', 12);
    const last = parseCode(sign(32 ** 5 - 1))!;
    expect(last).toMatchObject({ serial: 32 ** 5 - 1, body: 'AK7QMZZZZZ' });
    expect(verifyCode(last, [key], [])).toBe('ok');
    expect(() => sign(32 ** 5)).toThrow('serial out of range');
  });
});

describe('batch limits', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  test('a batch may carry exactly codes.maxPoints per code, and a code of it pays them; one point more is refused', async () => {
    const max = services.config.codes.maxPoints;
    const { batch, codes } = await makeBatch(services, { points: max, count: 2 });
    expect(batch).toMatchObject({ points: max, status: 'active' });
    await boundConsumer(services, 'u1', '13912345678');
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true, data: { points: max } });
    await expect(makeBatch(services, { points: max + 1 })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: `points must be an integer from 1 to ${max}` });
  });
});

describe('keys revoked in config, and the batch cache', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const revokedA = (s: TestServices) => reconfigured(s, (config) => { config.codes.revokedKeys = ['A']; });

  test('a forged tag on a real batch of a key revoked in config is invalid, not withdrawn, and counts towards the invalid-scan limit', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes } = await makeBatch(services);
    const revoked = revokedA(services);
    const code = codes[0]!;
    const forged = code.slice(0, -1) + CODE_ALPHABET[(CODE_ALPHABET.indexOf(code.at(-1)!) + 1) % 32];
    const answer = await redeem(revoked, 'u1', { code: forged });
    expect(answer).toMatchObject({ ok: false, error: { code: 'CODE_INVALID' } });
    expect(JSON.stringify(answer)).not.toContain('withdrawn');
    for (let i = 1; i < services.config.codes.invalidPerHour; i++) await redeem(revoked, 'u1', { code: forged });
    expect(await redeem(revoked, 'u1', { code: forged })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  });

  test('a code of a key revoked in config whose batch has also expired says withdrawn', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes } = await makeBatch(services, { validTo: '2026-11-30' });
    services.clock.set('2026-12-01T00:00:00Z');
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: false, error: { code: 'CODE_EXPIRED' } });
    expect(await redeem(revokedA(services), 'u1', { code: codes[1] })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID', details: { reason: 'withdrawn' } } });
  });

  test('a batch revoked by another process is refused exactly batchCacheSeconds after this instance read it', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes, batch } = await makeBatch(services);
    const read = services.clock.now();
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true });
    await services.store.transaction((tx) => tx.update('codeBatches', batch._id, { status: 'revoked' }));
    services.clock.set(new Date(read + services.config.codes.batchCacheSeconds * 1000 - 1).toISOString());
    expect(await redeem(services, 'u1', { code: codes[1] })).toMatchObject({ ok: true });
    services.clock.set(new Date(read + services.config.codes.batchCacheSeconds * 1000).toISOString());
    expect(await redeem(services, 'u1', { code: codes[2] })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID', details: { reason: 'withdrawn' } } });
  });
});

describe('the invalid-scan limiter and the signer', () => {
  test('full, it forgets the caller seen longest ago, a caller seen again counting as just seen', () => {
    const now = Date.parse('2026-11-23T02:00:00Z');
    const limiter = new InvalidScanLimiter(1, 3600_000, 2);
    limiter.hit('a', now);
    limiter.hit('b', now + 1);
    limiter.hit('a', now + 2); // a again: b is now the one seen longest ago
    limiter.hit('c', now + 3);
    expect([limiter.blocked('a', now + 4), limiter.blocked('b', now + 4), limiter.blocked('c', now + 4)]).toEqual([true, false, true]);
  });

  test('a signer refuses tags shorter or longer than codes are read with', () => {
    const key = { id: 'A', key: Buffer.alloc(32, 7) };
    expect(() => batchSigner(key, 'K7QM', 11)).toThrow('bad tag length');
    expect(() => batchSigner(key, 'K7QM', 21)).toThrow('bad tag length');
  });
});

describe('codes create: runs of one, failed runs, and withdrawing', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  test('a run of one code prints one line, and it scans', async () => {
    const { codes, batch } = await makeBatch(services, { count: 1 });
    expect(batch).toMatchObject({ count: 1, status: 'active' });
    expect(codes).toHaveLength(1);
    await boundConsumer(services, 'u1', '13912345678');
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true, data: { points: 20 } });
  });

  test('a run whose file cannot be written is revoked, not left pending', async () => {
    const broken = new Writable({ write(_chunk, _encoding, done) { done(new Error('disk full')); } });
    await expect(createBatch(services, { sku: 'SKU-1', name: '面霜', points: 20, count: 3, validTo: null, open: () => broken })).rejects.toThrow('disk full');
    expect(await services.dump('codeBatches')).toMatchObject([{ status: 'revoked', revokedAt: new Date(services.clock.now()).toISOString() }]);
  });

  test('withdrawing after a failure leaves a batch already active as it is: its file was whole', async () => {
    const { batch, codes } = await makeBatch(services, { count: 2 });
    expect(await withdrawBatch(services, batch._id)).toBe('active');
    await boundConsumer(services, 'u1', '13912345678');
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true });
  });
});
