import { batchIdFrom, batchSpecProblem, checkAgainstBatch, parseValidTo, type BatchDoc } from './batch';
import { batchSigner, isBatchId, parseCode } from './code';
import { InvalidScanLimiter } from './rate-limit';

const now = Date.parse('2026-11-23T02:00:00Z');
const spec = { sku: 'SKU-1', name: '面霜', points: 20, count: 100, validTo: null };

describe('batches', () => {
  test('valid-to: a date is the end of that day in Beijing; impossible dates are refused', () => {
    expect(parseValidTo('2027-12-31')).toBe('2027-12-31T15:59:59.999Z');
    expect(parseValidTo('2027-06-01T12:00:00+08:00')).toBe('2027-06-01T04:00:00.000Z');
    // a date with a zone: to the end of that day there, not its first second
    expect(parseValidTo('2027-12-31+08:00')).toBe('2027-12-31T15:59:59.999Z');
    expect(parseValidTo('2027-12-31Z')).toBe('2027-12-31T23:59:59.999Z');
    for (const bad of ['2027-02-30', '2027-13-01', '31/12/2027', 'tomorrow', '']) expect(parseValidTo(bad)).toBeNull();
  });

  test('valid-to: a time without a zone is Beijing time, whatever the machine\'s zone; an impossible one is refused in every form', () => {
    expect(parseValidTo('2027-03-01T10:00:00')).toBe('2027-03-01T02:00:00.000Z');
    expect(parseValidTo('2027-03-01 10:00')).toBe('2027-03-01T02:00:00.000Z');
    for (const bad of ['2027-02-30T12:00', '2027-02-30T23:59:59+08:00', '2027-03-01T25:00', '2027-03-01T10:00+25:00']) expect(parseValidTo(bad)).toBeNull();
  });

  test.each([
    [{ sku: '' }, /sku/],
    [{ sku: 'a b' }, /sku/],
    [{ name: ' ' }, /name/],
    [{ name: 'x'.repeat(61) }, /name/],
    [{ points: 0 }, /points/],
    [{ points: 1.5 }, /points/],
    [{ points: 10_001 }, /points/],
    [{ count: 0 }, /count/],
    [{ count: 40_000_000 }, /count/],
    [{ validTo: '2026-11-22T00:00:00.000Z' }, /valid-to/],
  ])('a bad spec %j is refused', (change, message) => {
    expect(batchSpecProblem({ ...spec, ...change }, 10_000, now)).toMatch(message);
  });

  test('a good spec passes; 10 million codes fit one batch', () => {
    expect(batchSpecProblem({ ...spec, count: 10_000_000 }, 10_000, now)).toBeNull();
  });

  test('batch ids are four code characters, the same for the same seed', () => {
    expect(isBatchId(batchIdFrom('cb_000001'))).toBe(true);
    expect(batchIdFrom('cb_000001')).toBe(batchIdFrom('cb_000001'));
    expect(batchIdFrom('cb_000001')).not.toBe(batchIdFrom('cb_000002'));
  });

  test('a verified code is checked against its batch: status (withdrawn), key, tag length, serial range, points, validity', () => {
    const MAX = 10_000;
    const batch: BatchDoc = {
      _id: 'K7QM', ...spec, keyId: 'A', tagChars: 12, validTo: '2026-12-31T15:59:59.999Z', status: 'active',
      createdAt: '', activatedAt: '', revokedAt: null,
    };
    const sign = batchSigner({ id: 'A', key: Buffer.alloc(32, 1) }, 'K7QM', 12);
    const code = parseCode(sign(100))!;
    expect(checkAgainstBatch(batch, code, now, MAX)).toBe('ok');
    expect(checkAgainstBatch(null, code, now, MAX)).toBe('invalid');
    expect(checkAgainstBatch({ ...batch, status: 'pending' }, code, now, MAX)).toBe('withdrawn');
    // a withdrawn batch says so, for its own codes only
    expect(checkAgainstBatch({ ...batch, status: 'revoked' }, code, now, MAX)).toBe('withdrawn');
    expect(checkAgainstBatch({ ...batch, status: 'revoked', count: 99 }, code, now, MAX)).toBe('invalid');
    expect(checkAgainstBatch({ ...batch, keyId: 'B' }, code, now, MAX)).toBe('invalid');
    expect(checkAgainstBatch({ ...batch, tagChars: 13 }, code, now, MAX)).toBe('invalid');
    expect(checkAgainstBatch({ ...batch, count: 99 }, code, now, MAX)).toBe('invalid');
    expect(checkAgainstBatch(batch, code, Date.parse('2027-01-01T00:00:00Z'), MAX)).toBe('expired');
    // points past the cap or not a whole positive number (a batch document loaded by hand): stopped, as withdrawn
    expect(checkAgainstBatch({ ...batch, points: MAX }, code, now, MAX)).toBe('ok');
    expect(checkAgainstBatch({ ...batch, points: MAX + 1 }, code, now, MAX)).toBe('withdrawn');
    expect(checkAgainstBatch({ ...batch, points: 0 }, code, now, MAX)).toBe('withdrawn');
    expect(checkAgainstBatch({ ...batch, points: -5 }, code, now, MAX)).toBe('withdrawn');
    expect(checkAgainstBatch({ ...batch, points: 2.5 }, code, now, MAX)).toBe('withdrawn');
  });
});

describe('invalid-scan limiter', () => {
  test('blocks after N hits in a sliding hour, per caller', () => {
    const limiter = new InvalidScanLimiter(3);
    for (let i = 0; i < 3; i++) {
      expect(limiter.blocked('a', now + i)).toBe(false);
      limiter.hit('a', now + i * 1000);
    }
    expect(limiter.blocked('a', now + 5000)).toBe(true);
    expect(limiter.blocked('b', now + 5000)).toBe(false);
    expect(limiter.blocked('a', now + 3599_999)).toBe(true);
    expect(limiter.blocked('a', now + 3600_000)).toBe(false); // the first hit is an hour old
  });

  test('keeps at most maxCallers callers, forgetting the longest unseen', () => {
    const limiter = new InvalidScanLimiter(1, 3600_000, 2);
    limiter.hit('a', now);
    limiter.hit('b', now);
    limiter.hit('c', now);
    expect(limiter.blocked('a', now)).toBe(false);
    expect(limiter.blocked('b', now) && limiter.blocked('c', now)).toBe(true);
  });
});
