/**
 * Edges of the member core that its own tests left open (found by mutating it): the member
 * code's exact shape and reach, the phone-code stand-in's limits, the key check on a database
 * made before the fingerprint, following merges, and staff's link requests after the card or
 * the link changed under them.
 */
import { randomBytes } from 'node:crypto';
import { checkPhoneHashKey, recordPhoneHashKey } from '../../cloudfunctions/core/identity/key-check';
import { confirmLinkRequest } from '../../cloudfunctions/core/identity/link-requests';
import { liveMember, type Getter } from '../../cloudfunctions/core/identity/lookup';
import { signMemberBarcode, signMemberCode, verifyMemberBarcode, verifyMemberCode } from '../../cloudfunctions/core/identity/member-code';
import { unmergeMembers } from '../../cloudfunctions/core/identity/operator';
import { devPhoneExchanger, PHONE_CODE_TTL_MS, wechatPhoneExchanger } from '../../cloudfunctions/core/identity/phone-exchange';
import { fixedClock } from '../../cloudfunctions/core/runtime/clock';
import { base32, timeOrderedIds } from '../../cloudfunctions/core/runtime/ids';
import type { Doc } from '../../cloudfunctions/core/store/port';
import { boundConsumer, importMembers, member, memberOk } from '../support/members';
import { openTestServices, reconfigured, type TestServices } from '../support/services';

const codeOf = (promise: Promise<unknown>) => promise.then(() => 'ok', (error: { code?: string }) => error.code);

describe('the member code a till checks', () => {
  const key = randomBytes(32);
  const memberId = timeOrderedIds.next('m');
  const now = Date.parse('2026-11-23T12:00:00Z');
  const seconds = now / 1000;

  it('reaches eleven minutes ahead at most (the longest TTL, 600 s, and a minute of a slow till clock), not a second more', () => {
    expect(verifyMemberCode(key, signMemberCode(key, memberId, seconds + 660), now)).toBe(memberId);
    expect(verifyMemberCode(key, signMemberCode(key, memberId, seconds + 661), now)).toBeNull();
    expect(verifyMemberBarcode(key, signMemberBarcode(key, memberId, seconds + 661)!, now)).toBeNull();
  });

  it('carries a 96-bit tag, and has one spelling: another prefix or a tag cut or lengthened is refused, never thrown at the till', () => {
    const token = signMemberCode(key, memberId, seconds + 60);
    const [prefix, id, expires, tag] = token.split('.') as [string, string, string, string];
    expect(prefix).toBe('MC1');
    expect(tag).toMatch(/^[\w-]{16}$/); // 12 bytes, base64url
    for (const other of [`MC2.${id}.${expires}.${tag}`, `mc1.${id}.${expires}.${tag}`, `${prefix}.${id}.${expires}.${tag.slice(0, 15)}`, `${prefix}.${id}.${expires}.${tag}A`]) {
      expect(verifyMemberCode(key, other, now)).toBeNull();
    }
  });

  it('refuses a barcode spelled with one digit more that reads as the same bytes', () => {
    // a member id whose first byte is high enough that the barcode's number has 44 hex digits
    const highId = `m_${base32(Buffer.from([0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9]))}`;
    const digits = signMemberBarcode(key, highId, seconds + 60)!;
    expect(verifyMemberBarcode(key, digits, now)).toBe(highId);
    const longer = (BigInt(digits) * 16n + 5n).toString();
    expect(longer).toHaveLength(54);
    expect(verifyMemberBarcode(key, longer, now)).toBeNull();
  });
});

describe('the dev phone-code stand-in', () => {
  const clock = fixedClock('2026-11-23T02:00:00Z');
  const exchanger = devPhoneExchanger(clock);

  it('takes a code for five minutes to the millisecond, then refuses it', async () => {
    expect(await exchanger.exchange(`dev:13912345678:${clock.now() - PHONE_CODE_TTL_MS}`)).toEqual({ phone: '13912345678', appid: 'dev' });
    expect(PHONE_CODE_TTL_MS).toBe(300_000);
    expect(await codeOf(exchanger.exchange(`dev:13912345678:${clock.now() - PHONE_CODE_TTL_MS - 1}`))).toBe('PHONE_CODE_INVALID');
  });

  it('allows a minute of clock drift for a code dated ahead, and no more', async () => {
    expect(await codeOf(exchanger.exchange(`dev:13912345678:${clock.now() + 60_000}`))).toBe('ok');
    expect(await codeOf(exchanger.exchange(`dev:13912345678:${clock.now() + 120_000}`))).toBe('PHONE_CODE_INVALID');
  });
});

describe('the production phone exchange', () => {
  it('refuses an answer that carries no number as a bad code, not as an internal error', async () => {
    for (const answer of [{}, { phoneInfo: { countryCode: '86' } }, { phoneInfo: { purePhoneNumber: '', countryCode: '86' } }]) {
      const exchanger = wechatPhoneExchanger({ phonenumber: { getPhoneNumber: async () => answer } });
      expect(await codeOf(exchanger.exchange('code'))).toBe('PHONE_CODE_INVALID');
    }
  });
});

describe('the phone hash key check', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const withKeys = (change: Partial<TestServices['secrets']>) => ({ store: services.store, secrets: { ...services.secrets, ...change } });

  it('tells other keys from a bound phone even when the newest hundred WeChat users bound none (a database made before the fingerprint)', async () => {
    await importMembers(services, 'offline', Array.from({ length: 1200 }, (_, i) => ({ channelMemberId: `C${i}` }))); // a chain's store cards
    await boundConsumer(services, 'u0', '13912345678');
    // a campaign's visitors: they log in and go, binding nothing
    for (let i = 1; i <= 120; i++) await memberOk(services, `visitor${i}`, { action: 'login' });
    expect(await checkPhoneHashKey(services)).toBe('unrecorded');
    expect(await codeOf(checkPhoneHashKey(withKeys({ phoneHashKey: randomBytes(32), phoneEncKey: randomBytes(32) })))).toBe('CONFLICT');
  });

  it('tells other keys from a bound phone behind the records of a channel whose name sorts after wechat (youzan)', async () => {
    const brand = reconfigured(services, (config) => { config.identity.priority.push('youzan'); });
    await boundConsumer(brand, 'u0', '13912345678');
    await importMembers(brand, 'youzan', Array.from({ length: 150 }, (_, i) => ({ channelMemberId: `Y${i}` })));
    expect(await codeOf(checkPhoneHashKey(withKeys({ phoneHashKey: randomBytes(32), phoneEncKey: randomBytes(32) })))).toBe('CONFLICT');
  });

  it('tells another hash key even when the encryption key is the database\'s own', async () => {
    await boundConsumer(services, 'u0', '13912345678');
    expect(await codeOf(checkPhoneHashKey(withKeys({ phoneHashKey: randomBytes(32) })))).toBe('CONFLICT');
  });

  it('refuses to go on under a key other than the one recorded first', async () => {
    await recordPhoneHashKey(services);
    expect(await checkPhoneHashKey(services)).toBe('matches');
    expect(await codeOf(recordPhoneHashKey(withKeys({ phoneHashKey: randomBytes(32) })))).toBe('CONFLICT');
  });
});

describe('following merges to the live member', () => {
  const docs = new Map<string, Doc>([
    ['m1', { _id: 'm1', status: 'merged', mergedInto: 'm2' } as Doc],
    ['m2', { _id: 'm2', status: 'merged', mergedInto: 'm3' } as Doc],
    ['m3', { _id: 'm3', status: 'active', mergedInto: null } as Doc],
    ['m4', { _id: 'm4', status: 'deleted', mergedInto: null } as Doc],
    ['m5', { _id: 'm5', status: 'merged', mergedInto: 'm4' } as Doc],
  ]);
  const get = (async (_collection: string, id: string) => docs.get(id) ?? null) as Getter;

  it('follows a chain of merges to its survivor, and finds no one behind an erased member', async () => {
    expect((await liveMember(get, 'm1'))?._id).toBe('m3');
    expect((await liveMember(get, 'm3'))?._id).toBe('m3');
    expect(await liveMember(get, 'm4')).toBeNull();
    expect(await liveMember(get, 'm5')).toBeNull();
    expect(await liveMember(get, null)).toBeNull();
  });
});

describe('store cards after they changed under a request', () => {
  let services: TestServices;
  beforeEach(async () => {
    services = openTestServices();
    await importMembers(services, 'offline', [{ channelMemberId: 'C200' }]); // no phone: staff decide
    await boundConsumer(services, 'u1', '13912345678');
  });
  afterEach(() => services.close());

  const requestOf = async (openid: string) => {
    const { memberId } = await memberOk<{ memberId: string }>(services, openid, { action: 'login' });
    const member = await services.store.get<Doc & { records: string[] }>('members', memberId);
    const wechat = member!.records.find((id) => id.startsWith('wechat:'))!;
    return `offline:C200>${wechat}`;
  };

  it('a request confirmed and then undone by an operator is not confirmed again, and asking again says the card is held', async () => {
    expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toMatchObject({ status: 'pending' });
    const requestId = await requestOf('u1');
    const { mergeId } = await confirmLinkRequest(services, requestId);
    await unmergeMembers(services, mergeId!);
    expect(await codeOf(confirmLinkRequest(services, requestId))).toBe('CONFLICT');
    expect(await member(services, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { reason: 'card_held' } } });
    expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: false });
  });

  it('a request for a card erased since (with the consumer it went to) is NOT_FOUND', async () => {
    await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C200' });
    await boundConsumer(services, 'u2', '13700001111');
    await memberOk(services, 'u2', { action: 'linkOffline', cardNo: 'C200' });
    await confirmLinkRequest(services, await requestOf('u2'));
    await memberOk(services, 'u2', { action: 'delete', confirm: true });
    expect(await services.store.get('records', 'offline:C200')).toBeNull();
    expect(await codeOf(confirmLinkRequest(services, await requestOf('u1')))).toBe('NOT_FOUND');
  });
});

describe('linking a store card by its phone\'s last four digits', () => {
  let services: TestServices;
  beforeEach(async () => {
    services = openTestServices();
    await importMembers(services, 'offline', [{ channelMemberId: 'C100', phone: '13011112222' }]);
    await boundConsumer(services, 'u1', '13912345678');
  });
  afterEach(() => services.close());

  const attempt = async (s: TestServices, last4: string) => {
    const answer = await member(s, 'u1', { action: 'linkOffline', cardNo: 'C100', last4 });
    return answer.ok ? (answer.data as { status: string }).status : answer.error.code;
  };

  it('opens the card again at the very moment the lock said', async () => {
    for (let i = 0; i < 5; i++) await attempt(services, `000${i}`);
    const locked = await member(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '2222' });
    if (locked.ok) throw new Error('the card is not locked');
    expect(locked.error.code).toBe('LOCKED');
    const until = String(locked.error.details?.until);
    services.clock.set(Date.parse(until) - 1);
    expect(await attempt(services, '2222')).toBe('LOCKED');
    services.clock.set(until);
    expect(await attempt(services, '2222')).toBe('linked');
  });

  it('locks after the wrong tries the brand configured (identity.offlineLinkMaxTries), not after five', async () => {
    const three = reconfigured(services, (config) => { config.identity.offlineLinkMaxTries = 3; });
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await member(three, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: `000${i}` }));
    expect(answers.map((a) => (a.ok ? null : a.error.details?.triesLeft))).toEqual([2, 1, 0]);
    expect(await attempt(three, '2222')).toBe('LOCKED');
  });

  it('refuses the right digits, writing nothing, for a card an operator separated from the consumer: it cannot be joined again by them', async () => {
    expect(await attempt(services, '2222')).toBe('linked');
    const merges = (await services.dump('merges')) as (Doc & { link?: string })[];
    const linked = merges.filter((m) => m.link);
    expect(linked).toHaveLength(1);
    await unmergeMembers(services, linked[0]!._id);
    const records = await services.dump('records');
    expect(await member(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '2222' })).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { reason: 'cannot_join' } } });
    expect(await services.dump('records')).toEqual(records);
    expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: false });
  });
});

describe('a deletion whose answer was lost', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  // 我的 asks member.login after a deletion that got no answer: a consumer with no bound phone
  // then was erased; sent again, the deletion answers as done, whatever the page asked meanwhile
  it('leaves the consumer without a bound phone at the next login, and answers deleted when sent again', async () => {
    await boundConsumer(services, 'u-gone', '13912340077');
    expect(await memberOk(services, 'u-gone', { action: 'delete', confirm: true })).toEqual({ deleted: true });
    expect(await member(services, 'u-gone', { action: 'delete', confirm: true })).toEqual({ ok: true, data: { deleted: true } });
    expect(await memberOk(services, 'u-gone', { action: 'login' })).toMatchObject({ phoneBound: false });
    expect(await memberOk(services, 'u-gone', { action: 'delete', confirm: true })).toEqual({ deleted: true });
    expect(await memberOk(services, 'u-gone', { action: 'login' })).toMatchObject({ phoneBound: false });
  });
});
