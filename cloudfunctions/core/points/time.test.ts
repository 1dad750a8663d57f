import fc from 'fast-check';
import { expiryOf, isoOrNull, parseBeijingTime } from './time';
import { NEVER } from './types';

describe('Beijing time', () => {
  it.each([
    ['2026-11-01 12:30:00', '2026-11-01T04:30:00.000Z'],
    ['2026-11-01T12:30', '2026-11-01T04:30:00.000Z'],
    ['2026/1/5 08:00', '2026-01-05T00:00:00.000Z'],
    ['2026-11-01', '2026-10-31T16:00:00.000Z'],
    ['2026-11-01T12:30:00Z', '2026-11-01T12:30:00.000Z'],
    ['2026-11-01T12:30:00.5+08:00', '2026-11-01T04:30:00.500Z'],
    ['2026-11-01T12:30:00-0500', '2026-11-01T17:30:00.000Z'],
    [' 2024-02-29 00:00:00 ', '2024-02-28T16:00:00.000Z'],
  ])('reads %s as %s', (input, iso) => expect(parseBeijingTime(input)).toBe(iso));

  it.each(['', 'yesterday', '2026-02-30', '2025-02-29', '2026-13-01', '2026-11-01 24:00', '2026-11-01 12:60', '12/11/2026', '2026-11-01T12:30:00+15:00', '1700000000'])(
    'refuses %j', (input) => expect(parseBeijingTime(input)).toBeNull());

  it.each([
    ['2026-11-01T04:30:00.000Z', '2026-11-01T04:30:00.000Z'],
    ['2024-02-29T23:59:59.999Z', '2024-02-29T23:59:59.999Z'],
    ['2026-11-01T12:30:00+08:00', '2026-11-01T04:30:00.000Z'],
    ['2026-11-01T12:30Z', '2026-11-01T12:30:00.000Z'],
  ])('takes the ISO instant %s as %s', (input, iso) => expect(isoOrNull(input)).toBe(iso));

  // without a zone it is no instant (the CLI then reads it as Beijing time, not the machine's zone)
  it.each(['2026-02-30T00:00:00.000Z', '2025-02-29T00:00:00.000Z', '2026-13-01T00:00:00.000Z', '2026-11-01T24:00:00.000Z', '2026-11-01T12:60:00.000Z', '2026-11-01T12:30', '2026-11-01', 'soon'])(
    'takes no ISO instant from %j', (input) => expect(isoOrNull(input)).toBeNull());

  it('keeps every canonical instant as it is (property)', () => {
    fc.assert(fc.property(fc.date({ min: new Date('1970-01-01'), max: new Date('2200-01-01'), noInvalidDate: true }), (date) => isoOrNull(date.toISOString()) === date.toISOString()));
  });

  it('expires at 23:59:59 Beijing on 31 December of the next year', () => {
    const rule = { yearsAfterEarning: 1 };
    expect(expiryOf('2026-03-01T00:00:00.000Z', rule)).toBe('2027-12-31T15:59:59.000Z');
    // 31 Dec 2026 20:00 UTC is already 1 Jan 2027 in Beijing
    expect(expiryOf('2026-12-31T20:00:00.000Z', rule)).toBe('2028-12-31T15:59:59.000Z');
    expect(expiryOf('2026-12-31T15:59:59.000Z', rule)).toBe('2027-12-31T15:59:59.000Z');
    expect(expiryOf('2026-03-01T00:00:00.000Z', { yearsAfterEarning: 0 })).toBe('2026-12-31T15:59:59.000Z');
    expect(expiryOf('2026-03-01T00:00:00.000Z', null)).toBe(NEVER);
  });

  it('always expires after the points were earned', () => {
    fc.assert(fc.property(fc.date({ min: new Date('2000-01-01'), max: new Date('2090-01-01'), noInvalidDate: true }), (date) => {
      const at = date.toISOString();
      return expiryOf(at, { yearsAfterEarning: 0 }) >= at;
    }));
  });
});
