import fc from 'fast-check';
import { runs, timeoutFor } from '../../../test/support/property';
import { earnHash, reverseHash } from './ledger';
import { canonicalJson, refundAtEarnedRate } from './rules';

/** JSON with every object's keys sorted: what canonicalJson promises, said the slow way. */
const sortedJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : sortedJson(v))).join(',')}]`;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record).sort().filter((k) => record[k] !== undefined).map((k) => `${JSON.stringify(k)}:${sortedJson(record[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

describe('content hashes', () => {
  // Stored ledger entries carry these hashes: a retry after an upgrade must still match them.
  it('keep the hashes entries were stored with', () => {
    expect(earnHash('earn', { accountId: 'tmall:T1', points: 12, growth: 12, source: { channel: 'tmall', ref: 'O1', detail: { amountFen: 1250, paidAt: '2026-11-01T04:30:00.000Z', storeId: null } } }))
      .toBe('8Dc5HYvnT8gfQKxfafm6cK');
    expect(reverseHash({ of: 'order:tmall:O1', points: 5, growth: 5, source: { channel: 'tmall', ref: 'O1', detail: { refundFen: 500 } } }))
      .toBe('b1up1jSfzPCTDf3bnLjC4a');
  });

  it('serialise with sorted keys, undefined fields left out, odd numbers as JSON has them', () => {
    expect(canonicalJson({ b: [1, 'x', null, undefined, { z: -0, a: 1.5e21 }], a: 'é"\\', 'k y': true, u: undefined, n: NaN }))
      .toBe('{"a":"é\\"\\\\","b":[1,"x",null,null,{"a":1.5e+21,"z":0}],"k y":true,"n":null}');
  });

  it('equal JSON with sorted keys for any JSON value, whatever order its keys were written in', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      expect(canonicalJson(value)).toBe(sortedJson(value));
      const reversed = JSON.parse(JSON.stringify(value), (_key, v: unknown) =>
        v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v) as unknown;
      expect(canonicalJson(reversed)).toBe(canonicalJson(value));
    }), { numRuns: runs(500) });
  }, timeoutFor());
});

describe('a refund at the rate its order earned', () => {
  it.each([
    // credited, amountFen, refundFen, taken back
    [{ points: 100, growth: 100 }, 10000, 5000, { points: 50, growth: 50 }], // earned at 1 a yuan, half refunded
    [{ points: 200, growth: 100 }, 10000, 10000, { points: 200, growth: 100 }], // all of it
    [{ points: 300, growth: 0 }, 10099, 5099, { points: 150, growth: 0 }], // whole yuan, as the credit counted them
    [{ points: 0, growth: 0 }, 99, 99, { points: 0, growth: 0 }], // under a yuan earned nothing
    [{ points: 1_000_000_000, growth: 1_000_000_000 }, 100_000_000_000, 99_999_999_900, { points: 999_999_999, growth: 999_999_999 }], // past 2^53 before the division
  ])('%j for %d fen, %d refunded: %j', (credited, amountFen, refundFen, expected) => {
    expect(refundAtEarnedRate(credited, amountFen, refundFen)).toEqual(expected);
  });
});
