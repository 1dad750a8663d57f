import { base32, sequentialIds, timeOrderedIds } from './ids';

describe('ids', () => {
  it('makes ids that sort in the order they were made, across milliseconds', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(timeOrderedIds.next('m'));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect([...ids].sort()).toEqual(ids);
    expect(ids.every((id) => /^m_[2-7a-z]{16}$/.test(id))).toBe(true);
  });

  it('keeps ids made in the same millisecond distinct', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => timeOrderedIds.next('m')));
    expect(ids.size).toBe(10_000);
  });

  it('encodes bytes in an alphabet whose order is the bytes\' order', () => {
    expect(base32(Uint8Array.from([0, 0]))).toBe('2222');
    expect(base32(Uint8Array.from([255, 255])) > base32(Uint8Array.from([0, 1]))).toBe(true);
  });

  it('counts per prefix for tests', () => {
    const ids = sequentialIds();
    expect([ids.next('m'), ids.next('w'), ids.next('m')]).toEqual(['m_000001', 'w_000001', 'm_000002']);
  });
});
