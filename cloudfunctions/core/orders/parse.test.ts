import fc from 'fast-check';
import { buyerKeyOfRow, parseOrderRow, yuanToFen } from './parse';

const now = '2026-11-23T02:00:00.000Z';
const base = { orderId: 'O1', channelMemberId: 'T1', amountFen: '12550', status: 'paid', paidAt: '2026-11-01 10:00:00' };

describe('order rows', () => {
  it('reads a paid order, Beijing time when no zone is given', () => {
    expect(parseOrderRow(base, now)).toEqual({
      order: { orderId: 'O1', channelMemberId: 'T1', buyerPhoneSha256: null, amountFen: 12550, refundFen: 0, paidAt: '2026-11-01T02:00:00.000Z', refundedAt: null, storeId: null },
    });
  });

  it.each([
    ['12.50', 1250], ['12.5', 1250], ['12', 1200], ['0.01', 1], ['¥8.80', 880], ['12.', 1200], ['1,299.00', 129900], ['¥12,345,678', 1234567800],
  ])('reads yuan %s as %i fen without floats', (yuan, fen) => expect(yuanToFen(yuan)).toBe(fen));

  it.each(['1,29.00', '12,99', ',100', '1,,000', '1.234', 'abc', '-5'])('refuses %s as an amount', (yuan) => expect(yuanToFen(yuan)).toBeNull());

  it('gives the same fen for every two-decimal yuan amount', () => {
    fc.assert(fc.property(fc.nat(10_000_000), (fen) => yuanToFen(`${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`) === fen));
  });

  it('a refunded order without refundFen is refunded in full; a paid one with refundFen partly', () => {
    expect(parseOrderRow({ ...base, status: 'refunded' }, now).order?.refundFen).toBe(12550);
    expect(parseOrderRow({ ...base, status: 'PAID', refundFen: '550' }, now).order?.refundFen).toBe(550);
  });

  it('dates a refund written earlier on its payment\'s Beijing day (a date alone, or another clock) at the payment', () => {
    const refunded = { ...base, status: 'refunded', paidAt: '2026-11-01 14:30' };
    expect(parseOrderRow({ ...refunded, refundedAt: '2026-11-01' }, now).order?.refundedAt).toBe('2026-11-01T06:30:00.000Z');
    expect(parseOrderRow({ ...refunded, refundedAt: '2026-11-01 14:29:58' }, now).order?.refundedAt).toBe('2026-11-01T06:30:00.000Z');
    expect(parseOrderRow({ ...refunded, refundedAt: '2026-11-02' }, now).order?.refundedAt).toBe('2026-11-01T16:00:00.000Z');
  });

  it('knows a buyer by phone, in any spelling, or by a partner phoneSha256, when there is no channel member id', () => {
    const bySpelling = parseOrderRow({ ...base, channelMemberId: '', phone: '+86 138-0000-0001' }, now).order;
    expect(bySpelling).toMatchObject({ channelMemberId: null, buyerPhoneSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const bySha = parseOrderRow({ ...base, channelMemberId: undefined, phoneSha256: bySpelling!.buyerPhoneSha256!.toUpperCase() }, now).order;
    expect(bySha?.buyerPhoneSha256).toBe(bySpelling!.buyerPhoneSha256);
  });

  it('takes numbers from JSON lines as well as text', () => {
    expect(parseOrderRow({ ...base, amountFen: undefined, amount: 125.5 }, now).order?.amountFen).toBe(12550);
  });

  it.each([
    ['order_id_missing', { orderId: ' ' }],
    ['order_id_invalid', { orderId: 'O 1' }],
    ['buyer_missing', { channelMemberId: '' }],
    ['buyer_phone_invalid', { channelMemberId: '', phone: '12345' }],
    ['buyer_phone_invalid', { channelMemberId: undefined, phoneSha256: 'not-a-hash' }],
    ['amount_missing', { amountFen: undefined }],
    ['amount_invalid', { amountFen: '12.5' }],
    ['amount_invalid', { amountFen: undefined, amount: '12.555' }],
    ['amount_invalid', { amountFen: undefined, amount: '1e3' }],
    ['amount_invalid', { amountFen: '-5' }],
    ['amount_mismatch', { amount: '125.00' }],
    ['status_not_paid_or_refunded', { status: 'cancelled' }],
    ['refund_invalid', { refundFen: 'x' }],
    ['refund_exceeds_amount', { refundFen: '12551' }],
    ['paid_at_missing', { paidAt: '' }],
    ['paid_at_invalid', { paidAt: '2026-02-30 10:00' }],
    ['paid_at_in_future', { paidAt: '2027-01-01' }],
    ['store_id_invalid', { storeId: 'S 1' }],
    ['refunded_at_invalid', { status: 'refunded', refundedAt: 'soon' }],
    ['refunded_at_in_future', { status: 'refunded', refundedAt: '2099-01-01' }],
    ['refunded_before_paid', { status: 'refunded', refundedAt: '2026-10-31 23:59:59' }],
    ['refunded_before_paid', { status: 'refunded', refundedAt: '2026-10-31T15:59:59Z', paidAt: '2026-11-01T00:00:00+08:00' }],
  ])('rejects with %s', (reason, patch) => expect(parseOrderRow({ ...base, ...patch }, now)).toEqual({ reject: reason }));
});

describe('buyer key (which rows an import groups)', () => {
  it('is the same for every spelling of one phone, and differs between buyers', () => {
    const keys = ['13812345678', '+86 138-1234-5678', '0086 138 1234 5678', ' 138 1234 5678 '].map((phone) => buyerKeyOfRow({ channelMemberId: '', phone }));
    expect(new Set(keys)).toEqual(new Set(['p:13812345678']));
    expect(buyerKeyOfRow({ channelMemberId: 'T1', phone: '13812345678' })).toBe('m:T1');
    expect(buyerKeyOfRow({ phoneSha256: 'ABCDEF' })).toBe('h:abcdef');
    expect(buyerKeyOfRow({ channelMemberId: '  ' })).toBe('');
  });
});
