import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { revokeKey, setBatchStatus } from '../../cloudfunctions/core/codes/batches.store';
import { batchSigner, CODE_ALPHABET, tagCharsFor } from '../../cloudfunctions/core/codes/code';
import { countRedeemed } from '../../cloudfunctions/core/codes/claims.store';
import { createBatch } from '../../cloudfunctions/core/codes/create';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { pointsFunction } from '../../cloudfunctions/core/functions/points';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import { callerOf, openTestServices, withStepBeforeTransaction, type TestServices } from '../support/services';
import { countingStore } from './counting-store';
import { makeBatch, redeem, scenes, snapshot } from './support';

let services: TestServices;
beforeEach(() => {
  services = openTestServices();
});
afterEach(() => services.close());

describe('codes.redeem', () => {
  test('a bound member redeems a code by its scanned URL and sees the points', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { urls, batch } = await makeBatch(services, { points: 20 });
    const answer = await redeem(services, 'u1', { q: encodeURIComponent(urls[0]!) });
    expect(answer).toEqual({ ok: true, data: { sku: batch.sku, name: batch.name, points: 20, available: 20, redeemedAt: '2026-11-23T02:00:00.000Z', repeated: false } });
    const second = await redeem(services, 'u1', { code: urls[1]!.split('/c/')[1] });
    expect(second).toMatchObject({ ok: true, data: { available: 40 } });
    const ledger = await services.dump('ledger');
    expect(ledger.map((e) => e._id).sort()).toEqual([`scan:${urls[0]!.slice(-22, -12)}`, `scan:${urls[1]!.slice(-22, -12)}`].sort());
  });

  test('the unencoded q and a lower-case typed code work too', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { urls, codes } = await makeBatch(services);
    expect((await redeem(services, 'u1', { q: urls[0] })).ok).toBe(true);
    expect((await redeem(services, 'u1', { code: codes[1]!.toLowerCase() })).ok).toBe(true);
  });

  test('an answer to the attempt that made the redemption is no repeat, a retry after a lost answer included', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes } = await makeBatch(services, { points: 15 });
    const first = await redeem(services, 'u1', { code: codes[0], requestId: 'attempt-0001' });
    services.clock.advance(5_000);
    expect(await redeem(services, 'u1', { code: codes[0], requestId: 'attempt-0001' })).toEqual(first);
    expect(await redeem(services, 'u1', { code: codes[0], requestId: 'attempt-0002' })).toMatchObject({ ok: true, data: { repeated: true, redeemedAt: '2026-11-23T02:00:00.000Z' } });
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true, data: { repeated: true } });
    expect(await redeem(services, 'u1', { code: codes[0], requestId: 'no' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await services.dump('ledger')).toEqual([expect.objectContaining({ points: 15 })]);
  });

  test('the same member retrying gets the first result and earns once', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes } = await makeBatch(services, { points: 15 });
    const first = await redeem(services, 'u1', { code: codes[0] });
    services.clock.advance(3_600_000);
    const again = await redeem(services, 'u1', { code: codes[0] });
    // the first answer, its time included, marked as a repeat: the page tells the same code scanned again from a fresh one
    expect(first).toMatchObject({ ok: true, data: { repeated: false } });
    expect(again).toEqual({ ...first, data: { ...(first as { data: object }).data, repeated: true } });
    expect(again).toMatchObject({ ok: true, data: { redeemedAt: '2026-11-23T02:00:00.000Z' } });
    // the ledger entry is the claim; a retry by its own member is no repeat
    expect(await services.dump('ledger')).toEqual([expect.objectContaining({ _id: expect.stringMatching(/^scan:/), points: 15 })]);
    expect(await services.dump('codeRepeats')).toEqual([]);
  });

  test('a member who owes points on a Tmall card repays them with the scan, and the answer says what is left', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    // a Tmall card handed over owing 30 points joins the member by its phone
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678', points: -30 }]);
    const { codes } = await makeBatch(services, { points: 20 });
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true, data: { points: 20, available: -10 } });
    const again = await redeem(services, 'u1', { code: codes[0] });
    expect(again).toMatchObject({ ok: true, data: { available: -10, repeated: true } });
    expect(await redeem(services, 'u1', { code: codes[1] })).toMatchObject({ ok: true, data: { available: 10 } });
    const accounts = await services.dump('accounts');
    expect(accounts.map((a) => [a._id, a.points])).toEqual([['tmall:T1', 0], [expect.stringMatching(/^wechat:/), 10]]);
    // the scans' settle entries (scan:<code>#s1…) are no redeemed codes
    const batchId = (await services.dump('codeBatches'))[0]!._id;
    expect(await countRedeemed(services.store, codes[0]![0]!, batchId)).toBe(2);
  });

  test('a consumer who erased their data while the scan was under way: NOT_BOUND, the code stays unused', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes } = await makeBatch(services);
    const racing = withStepBeforeTransaction(services, () => memberOk(services, 'u1', { action: 'delete', confirm: true }));
    expect(await redeem(racing, 'u1', { code: codes[0] })).toMatchObject({ ok: false, error: { code: 'NOT_BOUND' } });
    expect((await services.dump('ledger')).filter((e) => String(e._id).startsWith('scan:'))).toEqual([]);
    await boundConsumer(services, 'u2', '13912345679');
    expect(await redeem(services, 'u2', { code: codes[0] })).toMatchObject({ ok: true });
  });

  test('someone else scanning a used code: CODE_ALREADY_REDEEMED with when, never who, counted on the code', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    await boundConsumer(services, 'u2', '13912345679');
    const { codes } = await makeBatch(services);
    await redeem(services, 'u1', { code: codes[0] });
    services.clock.advance(60_000);
    const answer = await redeem(services, 'u2', { code: codes[0] });
    expect(answer).toEqual({ ok: false, error: { code: 'CODE_ALREADY_REDEEMED', message: 'already redeemed at 2026-11-23T02:00:00.000Z', details: { redeemedAt: '2026-11-23T02:00:00.000Z' } } });
    expect(JSON.stringify(answer)).not.toMatch(/u1|m_|wechat:|139/);
    await redeem(services, 'u2', { code: codes[0] });
    expect(await services.dump('codeRepeats')).toEqual([expect.objectContaining({ repeats: 2, lastRepeatAt: '2026-11-23T02:01:00.000Z', serial: 1 })]);
    expect((await services.dump('ledger')).length).toBe(1);
  });

  test('100 simultaneous scans of one code by 100 members: exactly one grant', async () => {
    const openids = Array.from({ length: 100 }, (_, i) => `c${i}`);
    for (const [i, openid] of openids.entries()) await boundConsumer(services, openid, `139${String(10_000_000 + i)}`);
    const { codes } = await makeBatch(services, { points: 7 });
    const answers = await Promise.all(openids.map((openid) => redeem(services, openid, { code: codes[0] })));
    const granted = answers.filter((a) => a.ok);
    expect(granted).toHaveLength(1);
    expect(answers.filter((a) => !a.ok && a.error.code === 'CODE_ALREADY_REDEEMED')).toHaveLength(99);
    expect(await services.dump('ledger')).toHaveLength(1);
    expect((await services.dump('codeRepeats'))[0]).toMatchObject({ repeats: 99 });
    const balances = await services.dump('balances');
    expect(balances.reduce((sum, b) => sum + (b.points as number), 0)).toBe(7);
  });

  test('50 simultaneous scans of one code by its own member: one grant, every answer the same but for which one made it', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes } = await makeBatch(services, { points: 9 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => redeem(services, 'u1', { code: codes[0] })));
    const granted = { ok: true, data: { sku: 'SKU-1', name: '面霜 50ml', points: 9, available: 9, redeemedAt: '2026-11-23T02:00:00.000Z', repeated: false } };
    expect(answers.filter((a) => JSON.stringify(a) === JSON.stringify(granted))).toHaveLength(1);
    expect(answers.filter((a) => JSON.stringify(a) === JSON.stringify({ ...granted, data: { ...granted.data, repeated: true } }))).toHaveLength(49);
    expect(await services.dump('ledger')).toHaveLength(1);
  });

  test('an unbound caller gets NOT_BOUND and the code stays unused', async () => {
    await memberOk(services, 'u0', { action: 'login' });
    const { codes } = await makeBatch(services);
    const before = await snapshot(services);
    expect(await redeem(services, 'u0', { code: codes[0] })).toMatchObject({ ok: false, error: { code: 'NOT_BOUND' } });
    expect(await redeem(services, 'never-logged-in', { code: codes[0] })).toMatchObject({ ok: false, error: { code: 'NOT_BOUND' } });
    expect(await snapshot(services)).toEqual(before);
    await boundConsumer(services, 'u0', '13912345678');
    expect(await redeem(services, 'u0', { code: codes[0] })).toMatchObject({ ok: true });
  });

  test('an unbound caller scanning a used code gets NOT_BOUND saying when it was used, and writes nothing', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    await memberOk(services, 'u0', { action: 'login' });
    const { codes } = await makeBatch(services);
    await redeem(services, 'u1', { code: codes[0] });
    const before = await snapshot(services);
    for (const caller of ['u0', 'never-logged-in']) {
      expect(await redeem(services, caller, { code: codes[0] })).toEqual({ ok: false, error: { code: 'NOT_BOUND', message: 'bind a phone to earn points; this code was already redeemed at 2026-11-23T02:00:00.000Z', details: { redeemedAt: '2026-11-23T02:00:00.000Z' } } });
    }
    // no repeat counted, nothing written: an unbound caller never writes
    expect(await snapshot(services)).toEqual(before);
    // an unused code: the invitation to join, with the verdict a visitor scanned for (the product and its points)
    expect(await redeem(services, 'u0', { code: codes[1] })).toEqual({ ok: false, error: { code: 'NOT_BOUND', message: 'bind a phone to earn points', details: { name: '面霜 50ml', points: 20 } } });
  });

  test('no caller: UNAUTHENTICATED', async () => {
    const { codes } = await makeBatch(services);
    expect(await redeem(services, null, { code: codes[0] })).toMatchObject({ ok: false, error: { code: 'UNAUTHENTICATED' } });
  });

  test.each([
    ['truncated', (c: string) => ({ code: c.slice(0, -1) })],
    ['one character changed', (c: string) => ({ code: c.slice(0, -1) + (c.endsWith('Z') ? 'Y' : 'Z') })],
    ['a confusable character', (c: string) => ({ code: c.slice(0, -1) + 'O' })],
    ['extra characters', (c: string) => ({ code: `${c}ABC` })],
    ['unknown batch', (c: string) => ({ code: c.slice(0, 1) + 'ZZZZ' + c.slice(5) })],
    ['unknown key', (c: string) => ({ code: 'Z' + c.slice(1) })],
    ['another domain', (c: string) => ({ q: `https://evil.example.com/c/${c}` })],
    ['http link', (c: string) => ({ q: `http://mc.example.com/c/${c}` })],
    ['a guide link', () => ({ q: 'https://mc.example.com/g/G001' })],
    ['a broken encoding', (c: string) => ({ q: `https%3A%2F%2Fmc.example.com%2Fc%2F${c}%E0%A4%A` })],
  ])('%s: CODE_INVALID, nothing written', async (_name, make) => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes } = await makeBatch(services);
    const before = await snapshot(services);
    expect(await redeem(services, 'u1', make(codes[0]!))).toMatchObject({ ok: false, error: { code: 'CODE_INVALID' } });
    expect(await snapshot(services)).toEqual(before);
  });

  test.each([
    ['overlong code', { code: 'A'.repeat(41) }],
    ['overlong link', { q: `https://mc.example.com/c/${'A'.repeat(500)}` }],
    ['non-ASCII code', { code: 'AJPBE22223L64QHM3BNKPＫ' }],
    ['non-ASCII link', { q: 'https://mc.example.com/c/码' }],
    ['spaces inside', { code: 'AJPBE 22223L64QHM3BNKPK' }],
    ['both code and q', { code: 'AJPBE22223L64QHM3BNKPK', q: 'https://mc.example.com/c/AJPBE22223L64QHM3BNKPK' }],
    ['neither', {}],
    ['a number', { code: 12345 }],
  ])('%s: INVALID_INPUT, nothing written', async (_name, fields) => {
    await boundConsumer(services, 'u1', '13912345678');
    await makeBatch(services);
    const before = await snapshot(services);
    expect(await redeem(services, 'u1', fields)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await snapshot(services)).toEqual(before);
  });

  test('its own member scanning a redeemed code again after the batch expired or was withdrawn gets the first answer, not a refusal', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    await boundConsumer(services, 'u2', '13912345679');
    const { codes, batch } = await makeBatch(services, { points: 20, validTo: '2026-11-30T15:59:59.999Z' });
    const first = await redeem(services, 'u1', { code: codes[0], requestId: 'attempt-0001' });
    services.clock.set('2026-12-01T00:00:00Z');
    expect(await redeem(services, 'u1', { code: codes[0] })).toEqual({ ok: true, data: { ...(first as { data: object }).data, repeated: true } });
    expect(await redeem(services, 'u1', { code: codes[0], requestId: 'attempt-0001' })).toEqual(first);
    // anyone else, and an unused code, are refused as before
    expect(await redeem(services, 'u2', { code: codes[0] })).toMatchObject({ ok: false, error: { code: 'CODE_EXPIRED' } });
    expect(await redeem(services, 'u1', { code: codes[1] })).toMatchObject({ ok: false, error: { code: 'CODE_EXPIRED' } });
    await setBatchStatus(services, batch._id, ['active'], { status: 'revoked', revokedAt: new Date(services.clock.now()).toISOString() });
    services.clock.advance(60_000);
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true, data: { repeated: true, available: 20 } });
    expect(await redeem(services, 'u2', { code: codes[0] })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID', details: { reason: 'withdrawn' } } });
  });

  test('an invalid guess costs no read of the ledger (nor of anything else)', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes } = await makeBatch(services, { points: 20 });
    const store = countingStore(services.store);
    const counted = { ...services, store };
    // a real code's batch and serial under a tag no key signed, and it redeemed meanwhile
    const forged = (i: number) => `${codes[0]!.slice(0, -1)}${CODE_ALPHABET.replace(codes[0]!.slice(-1), '')[i]}`;
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true });
    store.reset();
    for (let i = 0; i < 3; i++) expect(await redeem(counted, 'u1', { code: forged(i) })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID' } });
    expect(store.counts).toMatchObject({ transactions: 0, writes: 0, queries: 0, reads: 0 });
  });

  test('an expired batch: CODE_EXPIRED, nothing written', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes } = await makeBatch(services, { validTo: '2026-11-30T15:59:59.999Z' });
    services.clock.set('2026-12-01T00:00:00Z');
    const before = await snapshot(services);
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: false, error: { code: 'CODE_EXPIRED' } });
    expect(await snapshot(services)).toEqual(before);
  });

  test('more than N invalid scans in an hour: RATE_LIMITED, even for a good code, until the hour passes', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    await boundConsumer(services, 'u2', '13912345679');
    const { codes } = await makeBatch(services);
    const limit = services.config.codes.invalidPerHour;
    const forged = (i: number) => `A${'2345'}${'22222'}${CODE_ALPHABET[i % 32]!.repeat(12)}`;
    for (let i = 0; i < limit; i++) expect(await redeem(services, 'u1', { code: forged(i) })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID' } });
    expect(await redeem(services, 'u1', { code: forged(99) })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(await redeem(services, 'u2', { code: codes[1] })).toMatchObject({ ok: true });
    services.clock.advance(3600_000 + 1);
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true });
  });

  test('checking codes on the landing page (scenes.resolve) counts towards the limit, and is refused past it', async () => {
    const { urls } = await makeBatch(services);
    const limit = services.config.codes.invalidPerHour;
    const forged = (i: number) => `https://${services.config.brandDomain}/c/A2345${'22222'}${CODE_ALPHABET[i % 32]!.repeat(12)}`;
    // a visitor, not joined: the landing page verifies codes for anyone
    for (let i = 0; i < limit; i++) expect(await scenes(services, 'v1', { action: 'resolve', q: forged(i) })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID' } });
    expect(await scenes(services, 'v1', { action: 'resolve', q: urls[0] })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(await scenes(services, 'v2', { action: 'resolve', q: urls[0] })).toMatchObject({ ok: true, data: { kind: 'product' } });
    // nor does joining through a product link tell a blocked caller which codes are real
    for (const q of [forged(99), urls[0]]) expect(await scenes(services, 'v1', { action: 'join', q })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  });

  test('a credited scan whose answer\'s balance cannot be read afterwards answers the credit, with the balance its transaction wrote', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes } = await makeBatch(services, { points: 20 });
    // every read fails once the scan's transaction has committed (a network blip on CloudBase)
    let committed = false;
    const store = services.store;
    const flaky = {
      ...services,
      store: {
        ...store,
        query: store.query.bind(store),
        get: async (collection: string, id: string) => {
          if (committed) throw new Error('network');
          return store.get(collection, id);
        },
        transaction: async <R>(fn: (tx: Parameters<Parameters<typeof store.transaction>[0]>[0]) => Promise<R>) => {
          const result = await store.transaction(fn);
          committed = true;
          return result;
        },
      },
    } as TestServices;
    expect(await redeem(flaky, 'u1', { code: codes[0] })).toMatchObject({ ok: true, data: { points: 20, available: 20, repeated: false } });
    expect(await services.dump('ledger')).toHaveLength(1);
  });

  test('scans of a withdrawn batch do not count towards the limit: the goods may be genuine', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const withdrawn = await makeBatch(services, { count: 15 });
    const { codes } = await makeBatch(services, { sku: 'SKU-2' });
    await setBatchStatus(services, withdrawn.batch._id, ['active'], { status: 'revoked', revokedAt: new Date(services.clock.now()).toISOString() });
    services.clock.advance(60_000); // past the instance's batch cache
    for (const code of withdrawn.codes) {
      expect(await redeem(services, 'u1', { code })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID', details: { reason: 'withdrawn' } } });
    }
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true });
  });

  test('the answer\'s available points leave out points due to expire that the nightly job has not swept yet, as points.summary does', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    // a Tmall card opened in 2024: its 300 points expired at the end of 2025, and no expiry job has run
    services.clock.set('2024-06-01T02:00:00Z');
    await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678', points: 300 }]);
    services.clock.set('2026-11-23T02:00:00Z');
    const { codes } = await makeBatch(services, { points: 20 });
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true, data: { points: 20, available: 20 } });
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true, data: { available: 20, repeated: true } });
    expect(await memberOk(services, 'u1', { action: 'login' })).toBeTruthy();
    const summary = await invoke(pointsFunction, { action: 'summary' }, callerOf('u1'), services);
    expect(summary).toMatchObject({ ok: true, data: { available: 20 } });
  });

  test('scanning used codes counts towards the limit too', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    await boundConsumer(services, 'farmer', '13912345679');
    const { codes } = await makeBatch(services, { count: 20 });
    for (const code of codes.slice(0, 12)) await redeem(services, 'u1', { code });
    const answers = [];
    for (const code of codes.slice(0, 12)) answers.push((await redeem(services, 'farmer', { code })) as { ok: false; error: { code: string } });
    expect(answers.slice(0, 10).every((a) => a.error.code === 'CODE_ALREADY_REDEEMED')).toBe(true);
    expect(answers.slice(10).every((a) => a.error.code === 'RATE_LIMITED')).toBe(true);
  });

  test('key rotation: a new key signs new batches, the old key\'s codes still redeem', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const old = await makeBatch(services);
    const rotated = { ...services, secrets: { ...services.secrets, codeKeys: [{ id: 'B', key: randomBytes(32) }, ...services.secrets.codeKeys] } };
    const fresh = await makeBatch(rotated);
    expect(fresh.batch.keyId).toBe('B');
    expect(fresh.codes[0]![0]).toBe('B');
    expect(await redeem(rotated, 'u1', { code: old.codes[0] })).toMatchObject({ ok: true });
    expect(await redeem(rotated, 'u1', { code: fresh.codes[0] })).toMatchObject({ ok: true });
    // dropping the old key from the environment retires its codes
    const dropped = { ...rotated, secrets: { ...rotated.secrets, codeKeys: rotated.secrets.codeKeys.slice(0, 1) } };
    expect(await redeem(dropped, 'u1', { code: old.codes[1] })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID' } });
  });

  test('revocation in config: the key\'s codes are refused and it signs nothing new', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes } = await makeBatch(services);
    const revoked = { ...services, config: { ...services.config, codes: { ...services.config.codes, revokedKeys: ['A'] } } };
    // a code the key signed says it was withdrawn; a forged one with the key's letter is just invalid
    expect(await redeem(revoked, 'u1', { code: codes[0] })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID', details: { reason: 'withdrawn' } } });
    const forged = await redeem(revoked, 'u1', { code: `A${'2345'}${'22222'}${'3'.repeat(12)}` });
    expect(forged).toMatchObject({ ok: false, error: { code: 'CODE_INVALID' } });
    expect(JSON.stringify(forged)).not.toContain('withdrawn');
    // signed by the key, but for a batch that does not exist: no code either
    const sign = batchSigner(services.secrets.codeKeys[0]!, 'ZZZZ', tagCharsFor(services.config.codes.tagBits));
    const stray = await redeem(revoked, 'u1', { code: sign(1) });
    expect(stray).toMatchObject({ ok: false, error: { code: 'CODE_INVALID' } });
    expect(JSON.stringify(stray)).not.toContain('withdrawn');
    await expect(makeBatch(revoked)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  test('revoke-key: every batch it signed is revoked, new batches use the next key', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const withTwo = { ...services, secrets: { ...services.secrets, codeKeys: [...services.secrets.codeKeys, { id: 'C', key: randomBytes(32) }] } };
    const { codes, batch } = await makeBatch(withTwo);
    expect(batch.keyId).toBe('A');
    expect(await revokeKey(withTwo, 'A')).toMatchObject({ batches: 1, revokedNow: 1, repeated: false });
    expect(await revokeKey(withTwo, 'A')).toMatchObject({ batches: 1, revokedNow: 0, repeated: true });
    expect(await redeem(withTwo, 'u1', { code: codes[0] })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID', details: { reason: 'withdrawn' } } });
    const next = await makeBatch(withTwo);
    expect(next.batch.keyId).toBe('C');
    expect(await redeem(withTwo, 'u1', { code: next.codes[0] })).toMatchObject({ ok: true });
  });

  test('a key revoked while a batch it signs is being written: the batch is withdrawn, not activated', async () => {
    let text = '';
    const out = new Writable({ write(chunk: Buffer, _encoding, done) { text += chunk.toString(); done(); } });
    // revoke-key marked the key after this run chose it, and listed the key's batches before this one was recorded
    const creating = createBatch(services, {
      sku: 'SKU-1', name: '面霜 50ml', points: 20, count: 10, validTo: null,
      open: () => {
        void services.store.transaction((tx) => tx.set('codeKeys', { _id: 'A', revokedAt: new Date(services.clock.now()).toISOString(), batches: 0 }));
        return out;
      },
    });
    await expect(creating).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/key A was revoked while the batch was written: it is withdrawn/) });
    expect(text.split('\n').filter(Boolean)).toHaveLength(10);
    expect((await services.dump('codeBatches')).map((b) => b.status)).toEqual(['revoked']);
  });

  test('a batch revoked while it is being written is not reported as made', async () => {
    const out = new Writable({ write(_chunk: Buffer, _encoding, done) { done(); } });
    const creating = createBatch(services, {
      sku: 'SKU-1', name: '面霜 50ml', points: 20, count: 10, validTo: null,
      open: (batch) => {
        void setBatchStatus(services, batch._id, ['pending'], { status: 'revoked', revokedAt: new Date(services.clock.now()).toISOString() });
        return out;
      },
    });
    await expect(creating).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/was revoked while it was written/) });
    expect((await services.dump('codeBatches')).map((b) => b.status)).toEqual(['revoked']);
  });

  test('a revoked batch refuses its unused codes once the instance cache expires', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes, batch } = await makeBatch(services);
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true });
    // revoked by another process (the operator's CLI): this instance still has the batch cached
    await services.store.transaction((tx) => tx.update('codeBatches', batch._id, { status: 'revoked' }));
    expect(await redeem(services, 'u1', { code: codes[1] })).toMatchObject({ ok: true });
    services.clock.advance(services.config.codes.batchCacheSeconds * 1000 + 1);
    expect(await redeem(services, 'u1', { code: codes[2] })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID', details: { reason: 'withdrawn' } } });
    expect(await setBatchStatus(services, batch._id, ['active'], {})).toBeNull();
  });

  // CloudBase has no CLI: a batch document loaded there by other means is the only thing between a typo and the ledger
  test.each([
    ['past codes.maxPoints', 2_000_000],
    ['negative', -50],
    ['not whole', 2.5],
  ])('a batch document whose points are %s is stopped as withdrawn: nothing paid, nothing written', async (_, points) => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes, batch } = await makeBatch(services, { points: 20, count: 2 });
    await services.store.transaction((tx) => tx.update('codeBatches', batch._id, { points }));
    services.clock.advance(services.config.codes.batchCacheSeconds * 1000 + 1);
    const before = await snapshot(services);
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID', details: { reason: 'withdrawn' } } });
    expect(await snapshot(services)).toEqual(before);
    // and once the batch is put right, the same code pays
    await services.store.transaction((tx) => tx.update('codeBatches', batch._id, { points: 20 }));
    services.clock.advance(services.config.codes.batchCacheSeconds * 1000 + 1);
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: true, data: { points: 20 } });
  });
});

describe('codes.redeem: holders across merges, and the limit on probing', () => {
  const forged = (i: number) => `A2345${'22222'}${CODE_ALPHABET[i % 32]!.repeat(11)}${CODE_ALPHABET[(i >> 5) % 32]}`;

  test('a member\'s second WeChat (joined to the member by binding the same phone) re-scanning a code the member redeemed gets the first answer, is not counted as a counterfeit repeat nor as an invalid scan', async () => {
    // wa opens the app first (older member) but binds later; wb binds and scans
    await memberOk(services, 'wa', { action: 'login' });
    services.clock.advance(1000);
    await boundConsumer(services, 'wb', '13912345678');
    const { codes } = await makeBatch(services, { points: 20 });
    const first = await redeem(services, 'wb', { code: codes[0] });
    expect(first).toMatchObject({ ok: true, data: { repeated: false } });
    services.clock.advance(1000);
    const joined = await boundConsumer(services, 'wa', '13912345678');
    expect(joined.merged).toBe(true);
    // both WeChats are now one member, holding the 20 points
    const bMember = (await memberOk<{ memberId: string }>(services, 'wb', { action: 'login' })).memberId;
    expect(bMember).toBe(joined.memberId);

    // the same person, from their other phone: the code is theirs already
    const again = await redeem(services, 'wa', { code: codes[0] });
    expect(again).toMatchObject({ ok: true, data: { points: 20, available: 20, repeated: true } });
    // and no counterfeit signal was recorded against the genuine unit
    expect(await services.dump('codeRepeats')).toEqual([]);
  });

  test('a burst of simultaneous forged scans from one caller is held to the invalid-scan limit', async () => {
    await boundConsumer(services, 'farmer', '13912345678');
    await makeBatch(services);
    const limit = services.config.codes.invalidPerHour;
    const answers = await Promise.all(Array.from({ length: limit * 5 }, (_, i) => redeem(services, 'farmer', { code: forged(i) })));
    const tried = answers.filter((a) => !a.ok && a.error.code === 'CODE_INVALID').length;
    // each CODE_INVALID answer is one guess checked; past the limit they must be RATE_LIMITED
    expect(tried).toBeLessThanOrEqual(limit);
  });

  test('a caller without a bound phone cannot sort genuine codes into used and unused without limit', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    await memberOk(services, 'sorter', { action: 'login' });
    const limit = services.config.codes.invalidPerHour;
    const { codes } = await makeBatch(services, { count: limit + 5 });
    for (const code of codes) expect(await redeem(services, 'u1', { code })).toMatchObject({ ok: true });
    // the same scans by a bound caller are limited (test/codes/redeem.test.ts: scanning used codes counts towards the limit too)
    const answers = [];
    for (const code of codes) answers.push(await redeem(services, 'sorter', { code }));
    const told = answers.filter((a) => !a.ok && a.error.code === 'NOT_BOUND' && (a.error as { details?: { redeemedAt?: string } }).details?.redeemedAt).length;
    expect(told).toBeLessThanOrEqual(limit);
    expect(answers.slice(limit).every((a) => !a.ok && a.error.code === 'RATE_LIMITED')).toBe(true);
  });
});

describe('codes.redeem: a retry of an attempt that took effect, past the invalid-scan limit', () => {
  const forged = (i: number) => `A2345${'22222'}${CODE_ALPHABET[i % 32]!.repeat(12)}`;

  test('answers the credit the attempt made, where a new attempt is refused; nothing is written or counted', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    await boundConsumer(services, 'u2', '13912345679');
    const { codes } = await makeBatch(services, { points: 20 });
    const limit = services.config.codes.invalidPerHour;
    // credited, but the answer was lost on the way to the page
    const first = await redeem(services, 'u1', { code: codes[0], requestId: 'attempt-0001' });
    expect(first).toMatchObject({ ok: true, data: { points: 20, repeated: false } });
    // another member's attempt, whose id u1 will send for the same code
    expect(await redeem(services, 'u2', { code: codes[2], requestId: 'attempt-0009' })).toMatchObject({ ok: true });
    // the member then hits the limit (mistyped codes, another brand's)
    for (let i = 0; i < limit; i++) expect(await redeem(services, 'u1', { code: forged(i) })).toMatchObject({ ok: false, error: { code: 'CODE_INVALID' } });
    services.clock.advance(30 * 60_000);
    const before = await snapshot(services);
    // 重试 sends the same attempt: its credit, as the first answer said it
    for (let i = 0; i < limit; i++) expect(await redeem(services, 'u1', { code: codes[0], requestId: 'attempt-0001' })).toEqual(first);
    // anything else is refused while limited: another attempt at the same code, one without an id,
    // another code, someone else's attempt, a guess carrying the attempt's id
    expect(await redeem(services, 'u1', { code: codes[0], requestId: 'attempt-0002' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(await redeem(services, 'u1', { code: codes[1], requestId: 'attempt-0001' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(await redeem(services, 'u1', { code: codes[2], requestId: 'attempt-0009' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(await redeem(services, 'u1', { code: forged(99), requestId: 'attempt-0001' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    expect(await snapshot(services)).toEqual(before);
    // the retries counted nothing: the limit lifts an hour after the invalid scans, not after them
    services.clock.advance(30 * 60_000 + 1);
    expect(await redeem(services, 'u1', { code: codes[1], requestId: 'attempt-0003' })).toMatchObject({ ok: true, data: { repeated: false } });
  });

  test('a limited caller\'s scan of a genuine code with any other attempt id costs the one read of its claim, however often sent', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    await boundConsumer(services, 'u2', '13912345679');
    const { codes } = await makeBatch(services, { points: 20 });
    expect(await redeem(services, 'u1', { code: codes[0], requestId: 'attempt-0001' })).toMatchObject({ ok: true });
    expect(await redeem(services, 'u2', { code: codes[2], requestId: 'attempt-0009' })).toMatchObject({ ok: true });
    // (the limit is kept per store: the counting one is used from here on)
    const store = countingStore(services.store);
    const counted = { ...services, store };
    for (let i = 0; i < services.config.codes.invalidPerHour; i++) await redeem(counted, 'u1', { code: forged(i) });
    expect(await redeem(counted, 'u1', { code: codes[0], requestId: 'attempt-0001' })).toMatchObject({ ok: true, data: { repeated: false } });
    store.reset();
    const n = 5;
    // the caller's own code with new attempt ids, someone else's code, a code nobody redeemed
    for (let i = 0; i < n; i++) {
      for (const code of [codes[0], codes[2], codes[1]]) {
        expect(await redeem(counted, 'u1', { code, requestId: `attempt-1${i}` })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      }
    }
    expect(store.counts).toMatchObject({ transactions: 0, writes: 0, queries: 0, reads: 3 * n, detail: { 'get ledger': 3 * n } });
  });

  test('a limited caller\'s guesses, and scans without an attempt id, cost no read at all', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes } = await makeBatch(services, { points: 20 });
    // the caller's own code's batch and serial under another tag: a guess at its attempt's answer
    const guessAt = (i: number) => `${codes[0]!.slice(0, -1)}${CODE_ALPHABET.replace(codes[0]!.slice(-1), '')[i]}`;
    const store = countingStore(services.store);
    const counted = { ...services, store };
    expect(await redeem(counted, 'u1', { code: codes[0], requestId: 'attempt-0001' })).toMatchObject({ ok: true });
    for (let i = 0; i < services.config.codes.invalidPerHour; i++) await redeem(counted, 'u1', { code: forged(i) });
    store.reset();
    // guesses carrying the attempt's id (the tag is checked first), and the caller's own code sent without one
    for (let i = 0; i < 5; i++) {
      expect(await redeem(counted, 'u1', { code: guessAt(i), requestId: 'attempt-0001' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      expect(await redeem(counted, 'u1', { code: codes[0] })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    }
    expect(store.counts).toMatchObject({ transactions: 0, writes: 0, queries: 0, reads: 0 });
  });

  test('answers it too once the key that signed the code was retired in config', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { codes } = await makeBatch(services, { points: 20 });
    const first = await redeem(services, 'u1', { code: codes[0], requestId: 'attempt-0001' });
    for (let i = 0; i < services.config.codes.invalidPerHour; i++) await redeem(services, 'u1', { code: forged(i) });
    const retired = { ...services, config: { ...services.config, codes: { ...services.config.codes, revokedKeys: ['A'] } } };
    expect(await redeem(retired, 'u1', { code: codes[0], requestId: 'attempt-0001' })).toEqual(first);
    expect(await redeem(retired, 'u1', { code: codes[0], requestId: 'attempt-0002' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  });

  test('answers it too once the code\'s batch has ended', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    // a batch whose scans end within the hour of the clock's start (2026-11-23T02:00Z)
    const { codes } = await makeBatch(services, { points: 20, validTo: '2026-11-23T02:29:59.999Z' });
    const first = await redeem(services, 'u1', { code: codes[0], requestId: 'attempt-0001' });
    for (let i = 0; i < services.config.codes.invalidPerHour; i++) await redeem(services, 'u1', { code: forged(i) });
    services.clock.set('2026-11-23T02:45:00Z');
    expect(await redeem(services, 'u1', { code: codes[0], requestId: 'attempt-0001' })).toEqual(first);
    expect(await redeem(services, 'u1', { code: codes[0] })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
  });
});
