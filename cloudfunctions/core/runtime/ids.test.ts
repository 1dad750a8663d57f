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

describe('ids made by two processes in the same millisecond', () => {
  it('differ: each process starts its count within a millisecond at a random point (a CLI import beside a serving runtime writes to the same database)', () => {
    const now = jest.spyOn(Date, 'now').mockReturnValue(Date.parse('2026-12-07T12:00:00Z'));
    try {
      // each copy of the module is a process of its own: its own last id, its own randomness
      const firsts = Array.from({ length: 4 }, () => {
        let id = '';
        jest.isolateModules(() => {
          const fresh = jest.requireActual<typeof import('./ids')>('./ids');
          id = fresh.timeOrderedIds.next('m');
        });
        return id;
      });
      expect(new Set(firsts).size).toBe(firsts.length);
    } finally {
      now.mockRestore();
    }
  });
});
