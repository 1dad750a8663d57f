import type { Doc } from '../store/port';
import { AppError } from '../runtime/errors';
import { countingStore } from '../../../test/codes/counting-store';
import { openTestServices, withStepBeforeTransaction, type TestServices } from '../../../test/support/services';
import { boundConsumer, importMembers, member, memberOk } from '../../../test/support/members';
import { confirmLinkRequest, refuseLinkRequest } from './link-requests';
import { verifyMemberCode } from './member-code';
import { PHONE_CLAIM_WINDOW_MS } from './wechat';

describe('member actions', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  const snapshot = async () => ({
    members: await services.dump('members'),
    records: await services.dump('records'),
    identifiers: await services.dump('identifiers'),
    phoneCodes: await services.dump('phoneCodes'),
  });
  const terms = () => services.config.termsVersion;

  describe('login', () => {
    it('creates a member on first login and finds the same one afterwards', async () => {
      const first = await member(services, 'u1', { action: 'login' });
      expect(first).toEqual({ ok: true, data: { memberId: 'm_000001', isNew: true, phoneBound: false, consented: false, termsVersion: terms() } });
      const again = await member(services, 'u1', { action: 'login' });
      expect(again).toEqual({ ok: true, data: { memberId: 'm_000001', isNew: false, phoneBound: false, consented: false, termsVersion: terms() } });
      expect(await services.dump('members')).toHaveLength(1);
    });

    it('gives different callers different members', async () => {
      expect((await memberOk(services, 'u1', { action: 'login' })).memberId).toBe('m_000001');
      expect((await memberOk(services, 'u2', { action: 'login' })).memberId).toBe('m_000002');
    });

    it('creates exactly one member when the same first login arrives many times at once', async () => {
      const answers = await Promise.all(Array.from({ length: 20 }, () => member(services, 'u1', { action: 'login' })));
      expect(new Set(answers.map((a) => (a.ok ? (a.data as { memberId: string }).memberId : a.error.code)))).toEqual(new Set(['m_000001']));
      expect(answers.filter((a) => a.ok && (a.data as { isNew: boolean }).isNew)).toHaveLength(1);
      expect(await services.dump('members')).toHaveLength(1);
    });

    it.each([
      ['no caller identity', null, { action: 'login' }, 'UNAUTHENTICATED'],
      ['an event that is not an object', 'u1', 'login', 'INVALID_INPUT'],
      ['an event without an action', 'u1', {}, 'INVALID_INPUT'],
      ['an unknown action', 'u1', { action: 'hack' }, 'UNKNOWN_ACTION'],
      ['an inherited property as the action', 'u1', { action: 'constructor' }, 'UNKNOWN_ACTION'],
    ])('answers %s with an error code and writes nothing', async (_name, openid, event, code) => {
      expect(await member(services, openid, event as Record<string, unknown>)).toEqual({ ok: false, error: { code, message: expect.any(String) } });
      expect(await snapshot()).toEqual({ members: [], records: [], identifiers: [], phoneCodes: [] });
    });

    it('takes the caller from the trusted context, not from the event', async () => {
      await member(services, 'u1', { action: 'login', openid: 'someone-else' });
      expect((await services.dump('identifiers')).map((d) => d._id)).toEqual(['openid:u1']);
    });
  });

  describe('consent', () => {
    it('records agreement to the current terms once', async () => {
      const answer = await memberOk(services, 'u1', { action: 'consent', version: terms() });
      expect(answer).toMatchObject({ consented: true });
      const before = await snapshot();
      services.clock.advance(60_000);
      expect(await memberOk(services, 'u1', { action: 'consent', version: terms() })).toEqual(answer);
      expect(await snapshot()).toEqual(before);
    });

    it('refuses another version of the terms and writes nothing', async () => {
      expect(await member(services, 'u1', { action: 'consent', version: '1999-01-01' })).toMatchObject({ ok: false, error: { code: 'TERMS_OUTDATED' } });
      expect((await snapshot()).records).toEqual([]);
    });
  });

  describe('bindPhone', () => {
    const agree = () => memberOk(services, 'u1', { action: 'consent', version: terms() });
    const code = (phone = '13912345678') => `dev:${phone}:${services.clock.now()}`;

    it('binds the phone behind the code and shows it masked', async () => {
      await agree();
      expect(await memberOk(services, 'u1', { action: 'bindPhone', code: code() })).toEqual({ memberId: 'm_000001', phoneMasked: '139****5678', merged: false });
      expect(await memberOk(services, 'u1', { action: 'login' })).toMatchObject({ phoneBound: true, consented: true });
      const stored = JSON.stringify(await snapshot());
      expect(stored).not.toContain('13912345678');
    });

    it('refuses with CONSENT_REQUIRED, binding nothing, when the consumer erased their data while the code was being exchanged', async () => {
      await agree();
      const racing = withStepBeforeTransaction(services, () => memberOk(services, 'u1', { action: 'delete', confirm: true }));
      expect(await member(racing, 'u1', { action: 'bindPhone', code: code() })).toMatchObject({ ok: false, error: { code: 'CONSENT_REQUIRED' } });
      expect(await snapshot()).toMatchObject({ records: [], identifiers: [], phoneCodes: [] });
      expect(await memberOk(services, 'u1', { action: 'login' })).toMatchObject({ phoneBound: false, consented: false });
    });

    it('claims no code for a consumer who erased their data after its checks, and asks WeChat nothing (a send that then never finished would leave the claim behind)', async () => {
      await agree();
      let asked = 0;
      const hung: TestServices = { ...services, phoneCodes: { exchange: () => { asked++; return new Promise<never>(() => undefined); } } };
      // the erasure commits between the send's checks and its claim of the code
      const racing = withStepBeforeTransaction(hung, () => memberOk(services, 'u1', { action: 'delete', confirm: true }));
      let answer: unknown;
      void member(racing, 'u1', { action: 'bindPhone', code: code() }).then((a) => { answer = a; });
      for (let i = 0; i < 1000 && answer === undefined && asked === 0; i++) await new Promise((r) => setImmediate(r));
      expect(asked).toBe(0);
      expect(answer).toMatchObject({ ok: false, error: { code: 'CONSENT_REQUIRED' } });
      expect(await snapshot()).toMatchObject({ records: [], identifiers: [], phoneCodes: [] });
    });

    it('binds a shop\'s phone shared by many store cards without reading each card: a shared phone joins no one', async () => {
      await importMembers(services, 'offline', Array.from({ length: 40 }, (_, i) => ({ channelMemberId: `C${500 + i}`, phone: '13912340000' })));
      await agree();
      const store = countingStore(services.store);
      expect(await member({ ...services, store }, 'u1', { action: 'bindPhone', code: code('13912340000') })).toMatchObject({ ok: true, data: { merged: false } });
      expect(store.counts.detail['tx.get records'] ?? 0).toBeLessThan(5);
    });

    it('answers a retry of the same code with the first result, writing nothing more', async () => {
      await agree();
      const c = code();
      const first = await memberOk(services, 'u1', { action: 'bindPhone', code: c });
      const before = await snapshot();
      expect(await memberOk(services, 'u1', { action: 'bindPhone', code: c })).toEqual(first);
      expect(await snapshot()).toEqual(before);
    });

    it('answers the same code sent twice at once (a double tap, WeChat\'s retry) with one binding, not CONFLICT: the second send finds the first\'s receipt in its own transaction', async () => {
      await agree();
      const c = code();
      let first: unknown;
      // the first send commits between the second's check of the code and its transaction
      const second = withStepBeforeTransaction(services, async () => { first = await member(services, 'u1', { action: 'bindPhone', code: c }); });
      const answer = await member(second, 'u1', { action: 'bindPhone', code: c });
      expect(first).toMatchObject({ ok: true, data: { phoneMasked: expect.any(String), merged: false } });
      expect(answer).toEqual(first);
      expect(await services.dump('phoneCodes')).toHaveLength(1);
      // a code used by another consumer in that window is still refused, binding nothing
      await memberOk(services, 'u2', { action: 'consent', version: terms() });
      const taken = code('13912340002');
      const other = withStepBeforeTransaction(services, () => member(services, 'u1', { action: 'bindPhone', code: taken }));
      expect(await member(other, 'u2', { action: 'bindPhone', code: taken })).toMatchObject({ ok: false, error: { code: 'PHONE_CODE_INVALID' } });
      expect(await memberOk(services, 'u2', { action: 'login' })).toMatchObject({ phoneBound: false });
    });

    it('answers the same code sent twice by one consumer with one binding when WeChat exchanges each code once: the second send, refused by WeChat after the first committed, answers the first\'s binding', async () => {
      await agree();
      // WeChat's phone codes are single use: a code exchanged once is refused (errcode 40029) after
      const exchanged = new Set<string>();
      const once: TestServices['phoneCodes'] = {
        exchange: async (c) => {
          if (exchanged.has(c)) throw new AppError('PHONE_CODE_INVALID', 'WeChat refused the phone code');
          exchanged.add(c);
          return services.phoneCodes.exchange(c);
        },
      };
      const wechat = { ...services, phoneCodes: once };
      const c = code();
      let first: unknown;
      // the second send checked for a receipt before the first committed, and asks WeChat after it
      const second = { ...wechat, phoneCodes: { exchange: async (x: string) => { first = await member(wechat, 'u1', { action: 'bindPhone', code: c }); return once.exchange(x); } } };
      const answer = await member(second, 'u1', { action: 'bindPhone', code: c });
      expect(first).toMatchObject({ ok: true, data: { phoneMasked: '139****5678', merged: false } });
      expect(answer).toEqual(first);
      // another consumer sending that code in that window is refused, binding nothing
      await memberOk(services, 'u2', { action: 'consent', version: terms() });
      const taken = code('13912340002');
      const other = { ...wechat, phoneCodes: { exchange: async (x: string) => { await member(wechat, 'u1', { action: 'bindPhone', code: taken }); return once.exchange(x); } } };
      expect(await member(other, 'u2', { action: 'bindPhone', code: taken })).toMatchObject({ ok: false, error: { code: 'PHONE_CODE_INVALID' } });
      expect(await memberOk(services, 'u2', { action: 'login' })).toMatchObject({ phoneBound: false });
    });

    describe('the same code sent again while the first send is still exchanging it', () => {
      /** WeChat's exchange, each code once; the first exchange of `slow` runs `meanwhile` before it answers. */
      const wechatWith = (slow: string, meanwhile: () => Promise<unknown>) => {
        const exchanged = new Set<string>();
        let paused = false;
        const once: TestServices['phoneCodes'] = {
          exchange: async (c) => {
            if (exchanged.has(c)) throw new AppError('PHONE_CODE_INVALID', 'WeChat refused the phone code');
            exchanged.add(c);
            if (c === slow && !paused) {
              paused = true;
              await meanwhile();
            }
            return services.phoneCodes.exchange(c);
          },
        };
        return { ...services, phoneCodes: once };
      };

      it('answers the second send CONFLICT (try again), writing nothing, and its retry once the first has bound answers the first\'s binding', async () => {
        await agree();
        const c = code();
        let second: unknown;
        let during: unknown;
        const wechat: TestServices = wechatWith(c, async () => {
          during = await snapshot();
          second = await member(wechat, 'u1', { action: 'bindPhone', code: c });
          // the refused send wrote nothing: the first's claim alone, unchanged
          expect(await snapshot()).toEqual(during);
        });
        const first = await member(wechat, 'u1', { action: 'bindPhone', code: c });
        expect(second).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
        expect(first).toEqual({ ok: true, data: { memberId: 'm_000001', phoneMasked: '139****5678', merged: false } });
        const bound = await snapshot();
        expect(bound.phoneCodes).toEqual([expect.objectContaining({ result: (first as { data: unknown }).data })]);
        for (let retry = 0; retry < 2; retry++) {
          expect(await member(wechat, 'u1', { action: 'bindPhone', code: c })).toEqual(first);
          expect(await snapshot()).toEqual(bound);
        }
        expect(await memberOk(services, 'u1', { action: 'login' })).toMatchObject({ phoneBound: true });
      });

      it('binds once when the exchange answers the second send too (the dev stand-in exchanges a code any number of times): both sends answer the one binding', async () => {
        await agree();
        const c = code();
        let second: unknown;
        let paused = false;
        const slow: TestServices = {
          ...services,
          phoneCodes: {
            exchange: async (x) => {
              if (!paused) {
                paused = true;
                second = await member(slow, 'u1', { action: 'bindPhone', code: c });
              }
              return services.phoneCodes.exchange(x);
            },
          },
        };
        const first = await member(slow, 'u1', { action: 'bindPhone', code: c });
        expect(second).toEqual({ ok: true, data: { memberId: 'm_000001', phoneMasked: '139****5678', merged: false } });
        expect(first).toEqual(second);
        expect(await services.dump('phoneCodes')).toEqual([expect.objectContaining({ result: (first as { data: unknown }).data })]);
        expect(await services.dump('members')).toHaveLength(1);
      });

      it('answers PHONE_CODE_INVALID, as before, to another consumer sending that code meanwhile', async () => {
        await agree();
        await memberOk(services, 'u2', { action: 'consent', version: terms() });
        const c = code();
        let other: unknown;
        const wechat: TestServices = wechatWith(c, async () => { other = await member(wechat, 'u2', { action: 'bindPhone', code: c }); });
        expect(await member(wechat, 'u1', { action: 'bindPhone', code: c })).toMatchObject({ ok: true });
        expect(other).toMatchObject({ ok: false, error: { code: 'PHONE_CODE_INVALID' } });
        expect(await memberOk(services, 'u2', { action: 'login' })).toMatchObject({ phoneBound: false });
        expect(await services.dump('phoneCodes')).toHaveLength(1);
      });

      it('leaves no claim when the first send fails, so the code is not taken for one in use', async () => {
        await agree();
        const c = code();
        const before = await snapshot();
        const busy = { ...services, phoneCodes: { exchange: async () => { throw new AppError('UNAVAILABLE', 'WeChat is busy: try again'); } } };
        expect(await member(busy, 'u1', { action: 'bindPhone', code: c })).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
        expect(await snapshot()).toEqual(before);
        expect(await memberOk(services, 'u1', { action: 'bindPhone', code: c })).toMatchObject({ phoneMasked: '139****5678' });
      });

      it('takes the claim of a send that never finished for nothing once the window has passed: WeChat\'s refusal is then told as PHONE_CODE_INVALID, and that send\'s claim goes', async () => {
        await agree();
        const c = code();
        const before = await snapshot();
        // a send that hangs inside the exchange, as one whose function timed out: its claim stays behind
        const hung: TestServices = wechatWith(c, () => new Promise<never>(() => undefined));
        void member(hung, 'u1', { action: 'bindPhone', code: c });
        await waitForClaim();
        services.clock.advance(PHONE_CLAIM_WINDOW_MS - 1);
        expect(await member(hung, 'u1', { action: 'bindPhone', code: c })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
        services.clock.advance(1);
        expect(await member(hung, 'u1', { action: 'bindPhone', code: c })).toMatchObject({ ok: false, error: { code: 'PHONE_CODE_INVALID' } });
        expect(await snapshot()).toEqual(before);
      });

      it('answers a send that finds the code bound by the same consumer\'s earlier send as it claims it that binding, asking WeChat nothing, however long after', async () => {
        await agree();
        const c = code();
        let asked = 0;
        const counting: TestServices = { ...services, phoneCodes: { exchange: async (x) => { asked++; return services.phoneCodes.exchange(x); } } };
        // the earlier send commits after this one read the code unused, before its claim
        const first = withStepBeforeTransaction(counting, async () => {
          const bound = await memberOk(counting, 'u1', { action: 'bindPhone', code: c });
          services.clock.advance(PHONE_CLAIM_WINDOW_MS);
          return bound;
        });
        const answer = await member(first, 'u1', { action: 'bindPhone', code: c });
        expect(answer).toEqual({ ok: true, data: { memberId: 'm_000001', phoneMasked: '139****5678', merged: false } });
        expect(asked).toBe(1);
        const bound = await snapshot();
        expect(bound.phoneCodes).toEqual([expect.objectContaining({ result: (answer as { data: unknown }).data })]);
        expect(await member(counting, 'u1', { action: 'bindPhone', code: c })).toEqual(answer);
        expect(await snapshot()).toEqual(bound);
      });

      it('keeps the binding another send of the code made while this send\'s exchange was failing: a retry answers it', async () => {
        await agree();
        const c = code();
        let bound: unknown;
        let failed = false;
        // the dev stand-in exchanges a code any number of times: the second send binds while the first's exchange fails
        const flaky: TestServices = {
          ...services,
          phoneCodes: {
            exchange: async (x) => {
              if (failed) return services.phoneCodes.exchange(x);
              failed = true;
              bound = await memberOk(flaky, 'u1', { action: 'bindPhone', code: c });
              throw new AppError('UNAVAILABLE', 'WeChat is busy: try again');
            },
          },
        };
        expect(await member(flaky, 'u1', { action: 'bindPhone', code: c })).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
        expect(bound).toEqual({ memberId: 'm_000001', phoneMasked: '139****5678', merged: false });
        expect(await services.dump('phoneCodes')).toEqual([expect.objectContaining({ recordId: expect.any(String), result: bound })]);
        expect(await memberOk(services, 'u1', { action: 'bindPhone', code: c })).toEqual(bound);
      });

      it('a send that outlived the window and then fails leaves the claim of the send that took the code over: a third send meanwhile is told to try again', async () => {
        await agree();
        const c = code();
        let wakeFirst!: () => void;
        let third: unknown;
        let calls = 0;
        const wechat: TestServices = {
          ...services,
          phoneCodes: {
            exchange: async (x) => {
              calls++;
              if (calls === 1) {
                // the first send waits past the window, and WeChat's answer never comes
                await new Promise<void>((resolve) => { wakeFirst = resolve; });
                throw new AppError('UNAVAILABLE', 'WeChat is busy: try again');
              }
              if (calls === 2) {
                // the second took the first's claim over; the first fails, then a third send comes
                wakeFirst();
                expect(await first).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
                third = await member(wechat, 'u1', { action: 'bindPhone', code: c });
                return services.phoneCodes.exchange(x);
              }
              throw new AppError('PHONE_CODE_INVALID', 'WeChat refused the phone code');
            },
          },
        };
        const first = member(wechat, 'u1', { action: 'bindPhone', code: c });
        await waitForClaim();
        services.clock.advance(PHONE_CLAIM_WINDOW_MS);
        const second = await member(wechat, 'u1', { action: 'bindPhone', code: c });
        expect(third).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
        expect(second).toEqual({ ok: true, data: { memberId: 'm_000001', phoneMasked: '139****5678', merged: false } });
        expect(await member(wechat, 'u1', { action: 'bindPhone', code: c })).toEqual(second);
      });

      it('takes for nothing a claim that outlived the window while WeChat was refusing the second send: that send is told PHONE_CODE_INVALID', async () => {
        await agree();
        const c = code();
        let second: unknown;
        let calls = 0;
        const wechat: TestServices = {
          ...services,
          phoneCodes: {
            exchange: async (x) => {
              calls++;
              if (calls === 1) {
                second = await member(wechat, 'u1', { action: 'bindPhone', code: c });
                return services.phoneCodes.exchange(x);
              }
              // WeChat answers the second send only once the first's claim is older than the window
              services.clock.advance(PHONE_CLAIM_WINDOW_MS);
              throw new AppError('PHONE_CODE_INVALID', 'WeChat refused the phone code');
            },
          },
        };
        expect(await member(wechat, 'u1', { action: 'bindPhone', code: c })).toMatchObject({ ok: true });
        expect(second).toMatchObject({ ok: false, error: { code: 'PHONE_CODE_INVALID' } });
      });

      it('answers a failed send its own failure when its claim cannot be taken back (the database unreachable meanwhile)', async () => {
        await agree();
        const c = code();
        const busy = { ...services, phoneCodes: { exchange: async () => { throw new AppError('UNAVAILABLE', 'WeChat is busy: try again'); } } };
        let transactions = 0;
        // the claim's transaction goes through; the one taking it back fails
        const unreachable = withStepBeforeTransaction(busy, async () => {
          if (++transactions === 2) throw new Error('the database cannot be reached');
        }, 2);
        expect(await member(unreachable, 'u1', { action: 'bindPhone', code: c })).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
      });

      /** Until a send's claim of the code is committed (the hung send gets that far on its own). */
      const waitForClaim = async () => {
        for (let i = 0; i < 1000 && (await services.dump('phoneCodes')).length === 0; i++) await new Promise((r) => setImmediate(r));
        expect(await services.dump('phoneCodes')).toEqual([expect.objectContaining({ pending: true })]);
      };
    });

    it.each([
      ['a code someone else already used', async () => {
        await memberOk(services, 'u2', { action: 'consent', version: terms() });
        const c = code();
        await memberOk(services, 'u2', { action: 'bindPhone', code: c });
        return c;
      }, 'PHONE_CODE_INVALID'],
      ['an expired code', async () => `dev:13912345678:${services.clock.now() - 6 * 60_000}`, 'PHONE_CODE_INVALID'],
      ['a code dated an hour ahead', async () => `dev:13912345678:${services.clock.now() + 3_600_000}`, 'PHONE_CODE_INVALID'],
      ['a code issued to another app', async () => `dev:13912345678@wx_other`, 'PHONE_CODE_INVALID'],
      ['a code that is not one', async () => 'hello', 'PHONE_CODE_INVALID'],
      ['a number that is not a mainland mobile', async () => 'dev:12345678901', 'PHONE_CODE_INVALID'],
    ])('refuses %s and binds nothing', async (_name, makeCode, errorCode) => {
      await agree();
      const c = await makeCode();
      const before = await snapshot();
      expect(await member(services, 'u1', { action: 'bindPhone', code: c })).toMatchObject({ ok: false, error: { code: errorCode } });
      expect(await snapshot()).toEqual(before);
      expect(await memberOk(services, 'u1', { action: 'login' })).toMatchObject({ phoneBound: false });
    });

    it('refuses without consent, and refuses a phone number sent in the event', async () => {
      await memberOk(services, 'u1', { action: 'login' });
      const before = await snapshot();
      expect(await member(services, 'u1', { action: 'bindPhone', code: code() })).toMatchObject({ ok: false, error: { code: 'CONSENT_REQUIRED' } });
      await agree();
      const afterConsent = await snapshot();
      expect(await member(services, 'u1', { action: 'bindPhone', code: code(), phone: '13912345678' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      expect(await snapshot()).toEqual(afterConsent);
      expect(before.phoneCodes).toEqual([]);
    });

    it('joins the store member who already has that phone', async () => {
      await importMembers(services, 'offline', [{ channelMemberId: 'C001', phone: '139-1234-5678', name: '李雷' }]);
      await agree();
      const bound = await memberOk<{ memberId: string; merged: boolean }>(services, 'u1', { action: 'bindPhone', code: code() });
      expect(bound.merged).toBe(true);
      expect(await memberOk(services, 'u1', { action: 'channels' })).toEqual({ wechat: true, phone: true, tmall: false, offline: true, jd: false, offlinePending: false, offlineRefused: false });
    });

    it('says merged when the phone takes the caller to the member holding it, away from the one their other phone is on', async () => {
      await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13900000001', openid: 'openid_u1_xx' }]);
      await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13912345678' }]);
      await memberOk(services, 'openid_u1_xx', { action: 'consent', version: terms() });
      const before = await memberOk<{ memberId: string }>(services, 'openid_u1_xx', { action: 'login' });
      expect(before.memberId).toMatch(/^m_/);
      const bound = await memberOk<{ memberId: string; merged: boolean }>(services, 'openid_u1_xx', { action: 'bindPhone', code: code() });
      expect(bound.memberId).not.toBe(before.memberId);
      expect(bound.merged).toBe(true);
      expect(await memberOk(services, 'openid_u1_xx', { action: 'channels' })).toMatchObject({ tmall: false, offline: true });
    });

    it('refuses a phone whose member cannot be joined (two Tmall memberships) and writes nothing of the binding', async () => {
      await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678' }]);
      await importMembers(services, 'tmall', [{ channelMemberId: 'T2', openid: 'openid_u1_xx' }]);
      await memberOk(services, 'openid_u1_xx', { action: 'consent', version: terms() });
      const before = await snapshot();
      const answer = await member(services, 'openid_u1_xx', { action: 'bindPhone', code: code() });
      expect(answer).toMatchObject({ ok: false, error: { code: 'PHONE_CONFLICT' } });
      // the refused join alone is recorded for the CRM team (test/identity/limit-conflicts.test.ts)
      const after = await snapshot();
      expect(after.members).toEqual(before.members);
      expect(after.phoneCodes).toEqual(before.phoneCodes);
      expect(after.records.map(({ refusedJoins: _, ...rest }) => rest)).toEqual(before.records);
      expect(after.identifiers.map(({ refused: _, ...rest }) => rest)).toEqual(before.identifiers);
      expect(await services.dump('conflicts')).toHaveLength(1);
    });
  });

  describe('profile', () => {
    beforeEach(() => memberOk(services, 'u1', { action: 'consent', version: terms() }));

    it('refuses to keep a nickname or birthday for a caller who has not agreed to the terms, and writes nothing', async () => {
      await memberOk(services, 'u2', { action: 'login' });
      const before = await snapshot();
      expect(await member(services, 'u2', { action: 'updateProfile', nickname: '小明', birthday: '1990-05-01' })).toMatchObject({ ok: false, error: { code: 'CONSENT_REQUIRED' } });
      expect(await snapshot()).toEqual(before);
    });

    it('counts a nickname in characters: twenty emoji are twenty, not forty', async () => {
      expect(await memberOk(services, 'u1', { action: 'updateProfile', nickname: '🌸'.repeat(20) })).toMatchObject({ nickname: '🌸'.repeat(20) });
      expect(await member(services, 'u1', { action: 'updateProfile', nickname: '🌸'.repeat(21) })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    });

    it('keeps a nickname with emoji joined by zero-width joiners', async () => {
      expect(await memberOk(services, 'u1', { action: 'updateProfile', nickname: '小美👨\u200d👩\u200d👧' })).toMatchObject({ nickname: '小美👨\u200d👩\u200d👧' });
    });

    it('counts an emoji joined of several as one character', async () => {
      const family = '👨\u200d👩\u200d👧\u200d👦';
      expect(await memberOk(services, 'u1', { action: 'updateProfile', nickname: family.repeat(6) })).toMatchObject({ nickname: family.repeat(6) });
    });

    it('keeps a nickname and a birthday, the birthday only once', async () => {
      expect(await memberOk(services, 'u1', { action: 'updateProfile', nickname: ' 小美 ', birthday: '1995-02-28' })).toMatchObject({ nickname: '小美', birthday: '1995-02-28' });
      // the saved one is told, for the page to show (the first answer may have been lost)
      expect(await member(services, 'u1', { action: 'updateProfile', birthday: '1996-03-01' })).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { reason: 'birthday_set', birthday: '1995-02-28' } } });
      expect(await memberOk(services, 'u1', { action: 'updateProfile', birthday: '1995-02-28' })).toMatchObject({ birthday: '1995-02-28' });
      expect(await memberOk(services, 'u1', { action: 'profile' })).toEqual({ memberId: 'm_000001', nickname: '小美', birthday: '1995-02-28', phoneMasked: null });
      // a cleared nickname is cleared, and stays so on a retry
      expect(await memberOk(services, 'u1', { action: 'updateProfile', nickname: null })).toMatchObject({ nickname: null, birthday: '1995-02-28' });
      expect(await memberOk(services, 'u1', { action: 'updateProfile', nickname: null })).toMatchObject({ nickname: null });
      expect(await memberOk(services, 'u1', { action: 'profile' })).toMatchObject({ nickname: null });
    });

    it.each([
      ['an impossible date', { birthday: '1995-02-30' }],
      ['a date in the future', { birthday: '2099-01-01' }],
      ['a nickname over 20 characters', { nickname: '很'.repeat(21) }],
      ['an empty nickname', { nickname: '   ' }],
      ['a birthday before 1900 (it could never be corrected)', { birthday: '0001-01-01' }],
      ['a nickname with control characters', { nickname: 'a\u0000b' }],
      ['a nickname with a line break', { nickname: '小\n美' }],
      ['a nickname with a right-to-left override', { nickname: '\u202eabc' }],
      ['a nickname with a lone surrogate', { nickname: 'ab\ud800' }],
      ['a nickname of zero-width characters alone', { nickname: '\u200b\u200d\u2060' }],
      ['a nickname of direction marks alone', { nickname: '\u200f\u061c' }],
      ['a nickname of blank letters alone (Hangul filler, blank Braille)', { nickname: '\u3164\u2800' }],
      ['a nickname of combining marks alone', { nickname: '\u0301\u0301' }],
      ['a nickname with a line separator', { nickname: 'a\u2028b' }],
      ['a nickname of letters strung on zero-width joiners', { nickname: '美\u200d'.repeat(500) }],
      ['a nickname of one letter under thousands of accents', { nickname: `e${'\u0301'.repeat(5000)}` }],
    ])('refuses %s', async (_name, patch) => {
      await memberOk(services, 'u1', { action: 'login' });
      const before = await snapshot();
      expect(await member(services, 'u1', { action: 'updateProfile', ...patch })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      expect(await snapshot()).toEqual(before);
    });
  });

  describe('linkOffline', () => {
    beforeEach(async () => {
      await importMembers(services, 'offline', [
        { channelMemberId: 'C100', phone: '13011112222' }, // an old phone
        { channelMemberId: 'C200' }, // no phone on file
      ]);
      await boundConsumer(services, 'u1', '13912345678');
    });

    it('links a card with an old phone when the last four digits match', async () => {
      expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '2222' })).toEqual({ status: 'linked', memberId: expect.any(String) });
      expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: true });
      expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '2222' })).toMatchObject({ status: 'linked' });
    });

    it('leaves the card\'s old phone free: whoever holds that number now binds it as their own', async () => {
      const { memberId } = await memberOk<{ memberId: string }>(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '2222' });
      const { termsVersion } = await memberOk<{ termsVersion: string }>(services, 'u2', { action: 'login' });
      await memberOk(services, 'u2', { action: 'consent', version: termsVersion });
      const bound = await memberOk<{ memberId: string; merged: boolean }>(services, 'u2', { action: 'bindPhone', code: `dev:13011112222:${services.clock.now()}` });
      expect(bound).toMatchObject({ phoneMasked: '130****2222', merged: false });
      expect(bound.memberId).not.toBe(memberId);
      // the card stays with the consumer who proved it theirs
      expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: true });
      expect(await memberOk(services, 'u2', { action: 'channels' })).toMatchObject({ offline: false, phone: true });
    });

    it('leaves a card without a phone for staff to confirm', async () => {
      expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toMatchObject({ status: 'pending' });
      expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toMatchObject({ status: 'pending' });
      expect(await services.dump('linkRequests')).toHaveLength(1);
      expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: false });
    });

    it('leaves for staff a card whose phone on file is a blocked placeholder or a shop\'s shared number: anyone knows its last four digits', async () => {
      await importMembers(services, 'offline', [
        { channelMemberId: 'W1', phone: '13800138000', points: '5000' }, // typed for a walk-in customer (identity.blockedPhones)
        ...['S1', 'S2', 'S3', 'S4'].map((channelMemberId) => ({ channelMemberId, phone: '13912340000', points: '300' })), // quarantined as shared
      ]);
      const { memberId } = await memberOk<{ memberId: string }>(services, 'u1', { action: 'login' });
      const points = async () => ((await services.store.get<{ _id: string; points: number }>('balances', memberId))?.points);
      const before = await points();
      expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'W1', last4: '8000' })).toMatchObject({ status: 'pending' });
      expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'S2', last4: '0000' })).toMatchObject({ status: 'pending' });
      expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: false, offlinePending: true });
      expect(await points()).toBe(before);
      expect((await services.dump('linkRequests')).map((r) => r._id)).toEqual([expect.stringMatching(/^offline:S2>wechat:/), expect.stringMatching(/^offline:W1>wechat:/)]);
    });

    it('counts every try that does not link towards the consumer\'s ten a day: no card number tells for free that it exists', async () => {
      await importMembers(services, 'offline', [{ channelMemberId: 'C101', phone: '13011115551' }, ...['C201', 'C202'].map((channelMemberId) => ({ channelMemberId }))]);
      // C100 locked by someone else's wrong tries
      await boundConsumer(services, 'u2', '13912340002');
      for (let i = 0; i < 5; i++) await member(services, 'u2', { action: 'linkOffline', cardNo: 'C100', last4: `000${i}` });
      const tries: [string, string | undefined, string][] = [
        ['C100', '2222', 'LOCKED'], ['C100', undefined, 'LOCKED'], // locked: says so, and counts
        ['C101', undefined, 'INVALID_INPUT'], ['C101', undefined, 'INVALID_INPUT'], // a card with a phone, asked without its digits
        ['C200', undefined, 'pending'], ['C200', undefined, 'pending'], // a request for staff: the first counts, asking again does not
        ['C201', undefined, 'pending'], ['C999', undefined, 'NOT_FOUND'], ['C998', '1234', 'NOT_FOUND'], ['C101', '0000', 'CARD_MISMATCH'],
      ];
      for (const [cardNo, last4, expected] of tries) {
        const answer = await member(services, 'u1', { action: 'linkOffline', cardNo, ...(last4 ? { last4 } : {}) });
        expect(answer.ok ? (answer.data as { status: string }).status : answer.error.code).toBe(expected);
      }
      // nine counted: one more, then every card answers alike
      expect(await member(services, 'u1', { action: 'linkOffline', cardNo: 'C997' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      for (const cardNo of ['C100', 'C101', 'C202', 'C996']) {
        expect(await member(services, 'u1', { action: 'linkOffline', cardNo })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      }
      expect((await services.dump('linkRequests')).map((r) => r.cardRecordId).sort()).toEqual(['offline:C200', 'offline:C201']);
    });

    it('tells a caller without a bound phone nothing of a card, locked or not', async () => {
      await boundConsumer(services, 'u2', '13912340002');
      for (let i = 0; i < 5; i++) await member(services, 'u2', { action: 'linkOffline', cardNo: 'C100', last4: `000${i}` });
      await memberOk(services, 'u3', { action: 'login' });
      for (const cardNo of ['C100', 'C200', 'C999']) {
        expect(await member(services, 'u3', { action: 'linkOffline', cardNo, last4: '2222' })).toMatchObject({ ok: false, error: { code: 'NOT_BOUND' } });
      }
    });

    it('locks the card for a day after five wrong tries', async () => {
      const firstTry = services.clock.now();
      for (let i = 0; i < 5; i++) {
        const answer = await member(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: `000${i}` });
        expect(answer).toMatchObject({ ok: false, error: { code: 'CARD_MISMATCH', details: { triesLeft: 4 - i } } });
        // the try that locks says until when
        if (i === 4) expect(answer).toMatchObject({ error: { details: { until: new Date(firstTry + 24 * 3600_000).toISOString() } } });
        services.clock.advance(60_000);
      }
      // open again a day after the first of the five wrong tries
      expect(await member(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '2222' }))
        .toMatchObject({ ok: false, error: { code: 'LOCKED', details: { until: new Date(firstTry + 24 * 3600_000).toISOString() } } });
      services.clock.advance(24 * 3600_000 + 1);
      expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '2222' })).toMatchObject({ status: 'linked' });
    });

    it('the same wrong digits sent twice (a double tap, WeChat retrying a call whose answer was lost) are one try, at once or one after the other', async () => {
      const mismatch = (triesLeft: number) => ({ ok: false, error: { code: 'CARD_MISMATCH', message: expect.any(String), details: { triesLeft } } });
      const send = (last4: string) => member(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4 });
      expect(await Promise.all([send('0000'), send('0000')])).toEqual([mismatch(4), mismatch(4)]);
      expect(await send('0000')).toEqual(mismatch(4));
      // other digits are another try, and the first digits tried again after them one more
      expect(await send('1111')).toEqual(mismatch(3));
      expect(await send('0000')).toEqual(mismatch(2));
      const consumerTries = (await services.dump('linkAttempts')).find((d) => String(d._id).startsWith('consumer:')) as (Doc & { failures: string[] }) | undefined;
      expect(consumerTries?.failures).toHaveLength(3);
      // the try that locks, sent again, answers as it did
      expect(await send('2221')).toEqual(mismatch(1));
      const locking = await send('2220');
      expect(locking).toMatchObject({ ok: false, error: { code: 'CARD_MISMATCH', details: { triesLeft: 0, until: expect.any(String) } } });
      expect(await send('2220')).toEqual(locking);
      expect(await send('2222')).toMatchObject({ ok: false, error: { code: 'LOCKED' } });
    });

    it('the same wrong digits a day after the first are another try: the card and the consumer count them', async () => {
      const send = () => member(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '0000' });
      expect(await send()).toMatchObject({ ok: false, error: { code: 'CARD_MISMATCH', details: { triesLeft: 4 } } });
      services.clock.advance(24 * 3600_000);
      expect(await send()).toMatchObject({ ok: false, error: { code: 'CARD_MISMATCH', details: { triesLeft: 4 } } });
      const failures = async () => (await services.dump('linkAttempts')).map((d) => `${String(d._id).split(':')[0]} ${(d as Doc & { failures: string[] }).failures.length}`).sort();
      expect(await failures()).toEqual(['consumer 1', 'offline 1']);
      expect((await services.dump('linkAttempts')).every((d) => (d as Doc & { failures: string[] }).failures[0] === new Date(services.clock.now()).toISOString())).toBe(true);
    });

    it('wrong digits sent again after the store changed the card\'s phone are weighed against the card as it is now: its new digits link it, a card left without a phone goes to staff', async () => {
      await importMembers(services, 'offline', [{ channelMemberId: 'C101', phone: '13011115551' }]);
      for (const cardNo of ['C100', 'C101']) expect(await member(services, 'u1', { action: 'linkOffline', cardNo, last4: '0000' })).toMatchObject({ ok: false, error: { code: 'CARD_MISMATCH', details: { triesLeft: 4 } } });
      await importMembers(services, 'offline', [{ channelMemberId: 'C100', phone: '13011110000' }, { channelMemberId: 'C101' }]);
      expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '0000' })).toMatchObject({ status: 'linked' });
      expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C101', last4: '0000' })).toMatchObject({ status: 'pending' });
      expect(await services.dump('linkRequests')).toEqual([expect.objectContaining({ cardRecordId: 'offline:C101', status: 'pending' })]);
    });

    it('wrong digits for a card that has become the consumer\'s since, sent again past their ten, answer linked as below the limit', async () => {
      const send = () => member(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '0000' });
      expect(await send()).toMatchObject({ ok: false, error: { code: 'CARD_MISMATCH' } });
      for (let i = 0; i < 9; i++) await member(services, 'u1', { action: 'linkOffline', cardNo: `C99${i}` });
      // the store's system gives the card the consumer's own phone: it joins their member
      await importMembers(services, 'offline', [{ channelMemberId: 'C100', phone: '13912345678' }]);
      expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: true });
      expect(await send()).toMatchObject({ ok: true, data: { status: 'linked' } });
    });

    it('the consumer\'s tenth try, wrong digits, sent again answers as it did: a lost answer retried is not told RATE_LIMITED', async () => {
      await importMembers(services, 'offline', [{ channelMemberId: 'C101', phone: '13011115551' }]);
      const send = (cardNo: string, last4: string) => member(services, 'u1', { action: 'linkOffline', cardNo, last4 });
      for (let i = 0; i < 4; i++) await send('C100', `000${i}`);
      for (let i = 0; i < 5; i++) await send('C101', `000${i}`);
      const tenth = await send('C100', '1111');
      expect(tenth).toMatchObject({ ok: false, error: { code: 'CARD_MISMATCH', details: { triesLeft: 0, until: expect.any(String) } } });
      expect(await send('C100', '1111')).toEqual(tenth);
      // other digits, or the card's right ones, are refused as before
      expect(await send('C100', '1112')).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      expect(await send('C100', '2222')).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
    });

    it('the consumer\'s tenth try of the day sent twice answers as it did, not RATE_LIMITED: the repeat counts as no try and tells nothing the card learned since', async () => {
      const mismatch = (triesLeft: number) => ({ ok: false, error: { code: 'CARD_MISMATCH', message: expect.any(String), details: { triesLeft } } });
      const send = (last4: string) => member(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4 });
      // the tries kept, each consumer's and the card's, by count
      const triesOf = async () => (await services.dump('linkAttempts')).map((d) => `${String(d._id).split(':')[0]} ${(d as Doc & { failures: string[] }).failures.length}`).sort();
      for (let i = 0; i < 9; i++) expect(await member(services, 'u1', { action: 'linkOffline', cardNo: `C99${i}` })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      // the tenth, a double tap, and the answer lost and sent again
      expect(await Promise.all([send('0000'), send('0000')])).toEqual([mismatch(4), mismatch(4)]);
      expect(await send('0000')).toEqual(mismatch(4));
      expect(await triesOf()).toEqual(['consumer 10', 'offline 1']);
      // other digits are another try: past the limit
      expect(await send('1111')).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      // the card's phone changed since: the repeat still answers as the first did (not linked, nor refused otherwise)
      await importMembers(services, 'offline', [{ channelMemberId: 'C100', phone: '13011110000' }]);
      expect(await send('0000')).toEqual(mismatch(4));
      // once another consumer's wrong try changed the card's count, answering would tell of it: past the limit, as any try
      await boundConsumer(services, 'u2', '13912340002');
      expect(await member(services, 'u2', { action: 'linkOffline', cardNo: 'C100', last4: '1234' })).toEqual(mismatch(3));
      expect(await send('0000')).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      expect(await triesOf()).toEqual(['consumer 1', 'consumer 10', 'offline 2']);
    });

    it('the consumer\'s tenth try, the one that locks the card, sent again answers with the same lock', async () => {
      for (let i = 0; i < 5; i++) expect(await member(services, 'u1', { action: 'linkOffline', cardNo: `C99${i}` })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      for (let i = 0; i < 4; i++) await member(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: `000${i}` });
      services.clock.advance(60_000);
      const send = () => member(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '0009' });
      const [locking, again] = await Promise.all([send(), send()]);
      expect(locking).toEqual({ ok: false, error: { code: 'CARD_MISMATCH', message: expect.any(String), details: { triesLeft: 0, until: expect.any(String) } } });
      expect(again).toEqual(locking);
      services.clock.advance(60_000);
      expect(await send()).toEqual(locking);
    });

    it('the try that locked the card, sent again while it is locked, answers as it did whatever the card holds now: a repeat does not tell that the card\'s phone changed to those digits', async () => {
      const send = () => member(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '0000' });
      for (let i = 1; i < 5; i++) await member(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: `000${i}` });
      const locking = await send();
      expect(locking).toMatchObject({ ok: false, error: { code: 'CARD_MISMATCH', details: { triesLeft: 0, until: expect.any(String) } } });
      const tries = async () => (await services.dump('linkAttempts')).map((d) => (d as Doc & { failures: string[] }).failures.length).sort();
      const before = await tries();
      // the store's system gives the card a phone ending in the digits tried
      await importMembers(services, 'offline', [{ channelMemberId: 'C100', phone: '13011110000' }]);
      expect(await send()).toEqual(locking);
      expect(await tries()).toEqual(before);
      // once the card opens again, those digits are a try of their own, and right
      services.clock.advance(24 * 3600_000);
      expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '0000' })).toMatchObject({ status: 'linked' });
    });

    it('a right try clears the card\'s wrong ones: its holder\'s fumbles do not lock the next consumer out at their first try', async () => {
      for (let i = 0; i < 4; i++) await member(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: `000${i}` });
      expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '2222' })).toMatchObject({ status: 'linked' });
      await boundConsumer(services, 'u2', '13912340002');
      expect(await member(services, 'u2', { action: 'linkOffline', cardNo: 'C100', last4: '0000' })).toMatchObject({ ok: false, error: { code: 'CARD_MISMATCH', details: { triesLeft: 4 } } });
    });

    it('stops a consumer after ten wrong tries in a day over any cards, unknown card numbers counted: spraying guesses over many cards takes none', async () => {
      await importMembers(services, 'offline', ['C101', 'C102', 'C103'].map((channelMemberId, i) => ({ channelMemberId, phone: `1301111555${i + 1}` })));
      const firstTry = services.clock.now();
      const tries: [string, string][] = [['C101', '0000'], ['C101', '0001'], ['C101', '0002'], ['C101', '0003'], ['C102', '0000'], ['C102', '0001'], ['C102', '0002'], ['C102', '0003'], ['C999', '0000'], ['C998', '0000']];
      for (const [cardNo, last4] of tries) {
        expect(await member(services, 'u1', { action: 'linkOffline', cardNo, last4 })).toMatchObject({ ok: false, error: { code: cardNo.startsWith('C99') ? 'NOT_FOUND' : 'CARD_MISMATCH' } });
      }
      // the right digits of a card never tried: refused all the same, until a day after the first wrong try
      const before = await services.dump('records');
      expect(await member(services, 'u1', { action: 'linkOffline', cardNo: 'C103', last4: '5553' }))
        .toMatchObject({ ok: false, error: { code: 'RATE_LIMITED', details: { until: new Date(firstTry + 24 * 3600_000).toISOString() } } });
      expect(await services.dump('records')).toEqual(before);
      // another consumer is not held back, and the cards tried were not locked for their owners
      await boundConsumer(services, 'u2', '13011115551');
      expect(await memberOk(services, 'u2', { action: 'channels' })).toMatchObject({ offline: true });
      services.clock.advance(24 * 3600_000 + 1);
      expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C103', last4: '5553' })).toMatchObject({ status: 'linked' });
      // erasure a day after them takes the consumer's count of wrong tries with it; the cards keep theirs
      await memberOk(services, 'u1', { action: 'delete', confirm: true });
      expect((await services.dump('linkAttempts')).map((d) => d._id)).toEqual(['offline:C101', 'offline:C102', 'offline:C103']);
    });

    it('erasing and binding again leaves a consumer the tries the day left them: card numbers cannot be tried by an erasure loop', async () => {
      for (let i = 0; i < 10; i++) expect(await member(services, 'u1', { action: 'linkOffline', cardNo: `C99${i}` })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect(await member(services, 'u1', { action: 'linkOffline', cardNo: 'C980' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      await memberOk(services, 'u1', { action: 'delete', confirm: true });
      services.clock.advance(1000); // a phone code of its own
      await boundConsumer(services, 'u1', '13912345678');
      expect(await member(services, 'u1', { action: 'linkOffline', cardNo: 'C981' })).toMatchObject({ ok: false, error: { code: 'RATE_LIMITED' } });
      // the count kept names no one: times alone, under an id that is not the openid
      const kept = (await services.dump('linkAttempts')).filter((d) => !d._id.startsWith('offline:'));
      expect(kept).toEqual([{ _id: expect.stringMatching(/^consumer:[\w-]{24}$/), failures: expect.any(Array) }]);
      // (the id, a keyed hash in base64url, is left out: one in 180 of them holds the letters u1 by chance)
      expect(JSON.stringify(kept.map(({ _id, ...rest }) => rest))).not.toMatch(/u1/);
      // a day after the first wrong try, tries open again
      services.clock.advance(24 * 3600_000);
      expect(await member(services, 'u1', { action: 'linkOffline', cardNo: 'C982' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    });

    it('erasure keeps the day\'s wrong tries of every WeChat account of the member, and drops older ones', async () => {
      services.clock.advance(1000); // a phone code of its own
      await boundConsumer(services, 'u2', '13912345678'); // the same phone: one member with u1
      for (const openid of ['u1', 'u2']) expect(await member(services, openid, { action: 'linkOffline', cardNo: 'C100', last4: '0000' })).toMatchObject({ ok: false, error: { code: 'CARD_MISMATCH' } });
      services.clock.advance(12 * 3600_000);
      expect(await member(services, 'u2', { action: 'linkOffline', cardNo: 'C100', last4: '0001' })).toMatchObject({ ok: false, error: { code: 'CARD_MISMATCH' } });
      services.clock.advance(12 * 3600_000); // u1's try is a day old, u2's second is not
      const consumers = async () => (await services.dump('linkAttempts')).filter((d) => d._id.startsWith('consumer:')).map((d) => (d as unknown as { failures: string[] }).failures.length).sort();
      expect(await consumers()).toEqual([1, 2]);
      await memberOk(services, 'u1', { action: 'delete', confirm: true });
      expect(await consumers()).toEqual([1]);
      expect((await services.dump('linkAttempts')).filter((d) => !d._id.startsWith('consumer:')).map((d) => d._id)).toEqual(['offline:C100']);
    });

    it('counts wrong tries sent all at once one by one: the sixth and later are locked out, the right digits too', async () => {
      const guesses = Array.from({ length: 60 }, (_, i) => String(2170 + i).padStart(4, '0'));
      expect(guesses).toContain('2222');
      const answers = await Promise.all(guesses.map((last4) => member(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4 })));
      const codes = answers.map((answer) => (answer.ok ? 'linked' : answer.error.code));
      // the right digits come 53rd in line, after five wrong tries locked the card and five more
      // tries at the locked card used up the consumer's ten a day
      expect(codes.filter((code) => code === 'CARD_MISMATCH')).toHaveLength(5);
      expect(codes.filter((code) => code === 'LOCKED')).toHaveLength(5);
      expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(50);
      const card = (await services.dump('linkAttempts')).find((d) => d._id === 'offline:C100') as unknown as { failures: string[] };
      expect(card.failures).toHaveLength(5);
      expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: false });
    });

    it('never takes a card from the consumer who holds it, and writes nothing', async () => {
      const first = await memberOk<{ memberId: string }>(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '2222' });
      // the store's record of the card's owner by phone: a consumer who bound the phone the card carries
      await importMembers(services, 'offline', [{ channelMemberId: 'C300', phone: '13055556666', points: '80' }]);
      const owner = await boundConsumer(services, 'u3', '13055556666');
      await boundConsumer(services, 'u2', '13700001111');
      const everything = async () => ({ ...(await snapshot()), linkAttempts: await services.dump('linkAttempts'), linkRequests: await services.dump('linkRequests'), accounts: await services.dump('accounts'), balances: await services.dump('balances') });
      const before = await everything();
      for (const [cardNo, last4] of [['C100', '2222'], ['C300', '6666']]) {
        // the reason tells the page this is the store's to sort out, not a collision to tap again after
        expect(await member(services, 'u2', { action: 'linkOffline', cardNo, last4 })).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { reason: 'card_held' } } });
      }
      expect(await everything()).toEqual(before);
      expect(await memberOk(services, 'u2', { action: 'channels' })).toMatchObject({ offline: false });
      expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: true });
      expect((await memberOk<{ memberId: string }>(services, 'u1', { action: 'login' })).memberId).toBe(first.memberId);
      expect((await services.dump('records')).find((r) => r._id === 'offline:C300')).toMatchObject({ memberId: owner.memberId });
      // wrong digits still count as a try, whoever holds the card: the answer says nothing of a holder
      expect(await member(services, 'u2', { action: 'linkOffline', cardNo: 'C100', last4: '0000' })).toMatchObject({ ok: false, error: { code: 'CARD_MISMATCH', details: { triesLeft: 4 } } });
    });


    it('refuses an unknown card and a consumer without a phone', async () => {
      expect(await member(services, 'u1', { action: 'linkOffline', cardNo: 'NOPE', last4: '1234' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      expect(await member(services, 'u9', { action: 'linkOffline', cardNo: 'C100', last4: '2222' })).toMatchObject({ ok: false, error: { code: 'NOT_BOUND' } });
    });
  });

  describe('channels', () => {
    const NOTHING_YET = { wechat: true, phone: false, tmall: false, offline: false, jd: false, offlinePending: false, offlineRefused: false };
    const everything = async () => ({ ...(await snapshot()), linkRequests: await services.dump('linkRequests') });
    const requestsOf = async (cardNo: string) => (await services.dump('linkRequests')).filter((r) => r.cardRecordId === `offline:${cardNo}`);

    beforeEach(async () => {
      await importMembers(services, 'offline', [
        { channelMemberId: 'C100', phone: '13011112222' }, // an old phone
        { channelMemberId: 'C200' }, // no phone on file
        { channelMemberId: 'C300' }, // no phone on file
      ]);
      await boundConsumer(services, 'u1', '13912345678');
    });

    it('says a store card waits for staff once one without a phone is submitted; a retry answers the same and writes nothing', async () => {
      expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: false, offlinePending: false });
      expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C200' })).toMatchObject({ status: 'pending' });
      const answer = await memberOk(services, 'u1', { action: 'channels' });
      expect(answer).toEqual({ wechat: true, phone: true, tmall: false, offline: false, jd: false, offlinePending: true, offlineRefused: false });
      const before = await everything();
      services.clock.advance(60_000);
      expect(await memberOk(services, 'u1', { action: 'channels' })).toEqual(answer);
      expect(await everything()).toEqual(before);
    });

    it('says nothing waits without a request of the caller, even when another consumer has one', async () => {
      await boundConsumer(services, 'u2', '13700001111');
      await memberOk(services, 'u2', { action: 'linkOffline', cardNo: 'C200' });
      expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: false, offlinePending: false });
      expect(await memberOk(services, 'u2', { action: 'channels' })).toMatchObject({ offline: false, offlinePending: true });
    });

    it('stops saying so once a store card is linked', async () => {
      await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C200' });
      expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '2222' })).toMatchObject({ status: 'linked' });
      expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: true, offlinePending: false });
      // the request itself is still waiting: the linked card is what answers
      expect((await requestsOf('C200'))[0]).toMatchObject({ status: 'pending' });
    });

    it('says the store refused once staff refuse the request, unless another still waits or a card is linked', async () => {
      await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C200' });
      await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C300' });
      await refuseLinkRequest(services, (await requestsOf('C300'))[0]!._id, null);
      expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offlinePending: true, offlineRefused: false });
      await refuseLinkRequest(services, (await requestsOf('C200'))[0]!._id, null);
      expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: false, offlinePending: false, offlineRefused: true });
      // another consumer's refusal is not this one's
      await boundConsumer(services, 'u2', '13700001111');
      expect(await memberOk(services, 'u2', { action: 'channels' })).toMatchObject({ offlineRefused: false });
      expect(await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C100', last4: '2222' })).toMatchObject({ status: 'linked' });
      expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: true, offlineRefused: false });
    });

    it('says the card is linked once staff confirm it', async () => {
      await memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C200' });
      await confirmLinkRequest(services, (await requestsOf('C200'))[0]!._id);
      expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: true, offlinePending: false });
    });

    it('finds a pending request by the consumer\'s record id, however it was written', async () => {
      const record = (await services.dump('records')).find((r) => r.channel === 'wechat')!;
      const old = { _id: `offline:C200>${record._id}`, status: 'pending', cardRecordId: 'offline:C200', wechatRecordId: record._id, at: '2026-11-01T00:00:00.000Z' };
      await services.store.transaction((tx) => tx.create('linkRequests', old));
      expect(await memberOk(services, 'u1', { action: 'channels' })).toMatchObject({ offline: false, offlinePending: true });
    });

    it('answers a caller with no member yet, making the member as login does', async () => {
      expect(await member(services, 'u5', { action: 'channels' })).toEqual({ ok: true, data: NOTHING_YET });
      const after = await everything();
      expect(await memberOk(services, 'u5', { action: 'channels' })).toEqual(NOTHING_YET);
      expect(await everything()).toEqual(after);
      expect((await memberOk<{ isNew: boolean }>(services, 'u5', { action: 'login' })).isNew).toBe(false);
    });

    it.each([
      ['no caller identity', null, { action: 'channels' }, 'UNAUTHENTICATED'],
      ['an event that is not an object', 'u5', 'channels', 'INVALID_INPUT'],
      ['an event without an action', 'u5', {}, 'INVALID_INPUT'],
    ])('answers %s with an error code and writes nothing', async (_name, openid, event, code) => {
      const before = await everything();
      expect(await member(services, openid, event as Record<string, unknown>)).toEqual({ ok: false, error: { code, message: expect.any(String) } });
      expect(await everything()).toEqual(before);
    });
  });

  describe('memberCode', () => {
    it('gives a short-lived token a till verifies with the brand key', async () => {
      const { memberId } = await boundConsumer(services, 'u1', '13912345678');
      const { token, issuedAt, expiresAt } = await memberOk<{ token: string; issuedAt: string; expiresAt: string }>(services, 'u1', { action: 'memberCode' });
      // the code's life on the server's clock, which the page counts on the phone's from its arrival
      expect(Date.parse(expiresAt) - Date.parse(issuedAt)).toBe(services.config.identity.memberCodeTtlSeconds * 1000);
      const key = services.secrets.memberCodeKey;
      expect(verifyMemberCode(key, token, services.clock.now())).toBe(memberId);
      expect(verifyMemberCode(key, token, Date.parse(expiresAt))).toBeNull();
      expect(verifyMemberCode(key, token.replace(memberId, 'm_000009'), services.clock.now())).toBeNull();
      expect(verifyMemberCode(Buffer.alloc(32), token, services.clock.now())).toBeNull();
    });

    it('refuses a consumer without a bound phone, and makes no member of a caller never seen', async () => {
      await memberOk(services, 'u2', { action: 'login' });
      const before = { ...(await snapshot()), balances: await services.dump('balances') };
      for (const caller of ['u1', 'u2']) expect(await member(services, caller, { action: 'memberCode' })).toMatchObject({ ok: false, error: { code: 'NOT_BOUND' } });
      expect({ ...(await snapshot()), balances: await services.dump('balances') }).toEqual(before);
    });
  });

  describe('delete', () => {
    it('erases the phone, identifiers and channel links; a later login starts afresh', async () => {
      await importMembers(services, 'offline', [{ channelMemberId: 'C001', phone: '13912345678', name: '李雷' }]);
      const { memberId } = await boundConsumer(services, 'u1', '13912345678');
      expect(await member(services, 'u1', { action: 'delete' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      expect(await memberOk(services, 'u1', { action: 'delete', confirm: true })).toEqual({ deleted: true });
      const after = await snapshot();
      expect(after.records).toEqual([]);
      expect(after.identifiers).toEqual([]);
      expect(after.phoneCodes).toEqual([]);
      expect(JSON.stringify(after)).not.toContain('李雷');
      expect(after.members.find((m) => m._id === memberId)).toMatchObject({ status: 'deleted', records: [] });
      const fresh = await memberOk<{ memberId: string; isNew: boolean; phoneBound: boolean }>(services, 'u1', { action: 'login' });
      expect(fresh).toMatchObject({ isNew: true, phoneBound: false });
      expect(fresh.memberId).not.toBe(memberId);
      expect(await memberOk(services, 'u1', { action: 'delete', confirm: true })).toEqual({ deleted: true });
    });

    it('erases the refused joins recorded under its identifiers (they name its email, unionid or phone)', async () => {
      await importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912345678', email: 'li@example.com', unionid: 'oUnion1' }]);
      await importMembers(services, 'jd', [{ channelMemberId: 'J1', phone: '13700000001', email: 'li@example.com', unionid: 'oUnion1' }]);
      await importMembers(services, 'tmall', [{ channelMemberId: 'T9', phone: '13700000009' }, { channelMemberId: 'T8', phone: '13700000009' }]);
      expect(await services.dump('conflicts')).toHaveLength(3);
      await boundConsumer(services, 'u1', '13912345678');
      expect(await memberOk(services, 'u1', { action: 'delete', confirm: true })).toEqual({ deleted: true });
      const left = await services.dump('conflicts');
      expect(JSON.stringify(left)).not.toMatch(/li@example\.com|oUnion1/);
      // others' refused joins stay for review
      expect(left.map((c) => c.between)).toEqual([['tmall:T8', 'tmall:T9']]);
    });

    it.each([
      ['a phone-code receipt (a new phone bound)', (services: TestServices) => memberOk(services, 'u1', { action: 'bindPhone', code: `dev:13912345679:${services.clock.now()}` })],
      ['a store-card request', (services: TestServices) => memberOk(services, 'u1', { action: 'linkOffline', cardNo: 'C200' })],
    ])('erases %s the consumer wrote while it was under way', async (_name, step) => {
      await importMembers(services, 'offline', [{ channelMemberId: 'C200' }]); // no phone on file: a request for staff
      await boundConsumer(services, 'u1', '13912345678');
      // from another page, after erasure looked for what to erase and before it erased the member
      const racing = withStepBeforeTransaction(services, () => step(services));
      expect(await memberOk(racing, 'u1', { action: 'delete', confirm: true })).toEqual({ deleted: true });
      const after = await snapshot();
      expect(after.phoneCodes).toEqual([]);
      expect(after.records.map((r) => r._id)).toEqual(['offline:C200']);
      expect(await services.dump('linkRequests')).toEqual([]);
    });

    it('erases the claim of a phone code a send made while it was under way, that send never finishing (its function timed out)', async () => {
      await boundConsumer(services, 'u1', '13912345678');
      // a send of a new phone's code that hangs in WeChat's exchange, its claim of the code committed
      const hung: TestServices = { ...services, phoneCodes: { exchange: () => new Promise<never>(() => undefined) } };
      const claimed = async () => {
        void member(hung, 'u1', { action: 'bindPhone', code: `dev:13912345679:${services.clock.now()}` });
        for (let i = 0; i < 1000 && (await services.dump('phoneCodes')).length < 2; i++) await new Promise((r) => setImmediate(r));
        expect(await services.dump('phoneCodes')).toContainEqual(expect.objectContaining({ pending: true }));
      };
      // from another page, after erasure looked for what to erase and before it erased the member
      const racing = withStepBeforeTransaction(services, claimed);
      expect(await memberOk(racing, 'u1', { action: 'delete', confirm: true })).toEqual({ deleted: true });
      expect(await services.dump('phoneCodes')).toEqual([]);
    });

    it('keeps the receipt of a consumer who joined again with that code while the erasure was removing the claims left behind', async () => {
      await boundConsumer(services, 'u1', '13912345678');
      const c = `dev:13912345679:${services.clock.now()}`;
      const hung: TestServices = { ...services, phoneCodes: { exchange: () => new Promise<never>(() => undefined) } };
      let again: unknown;
      let transactions = 0;
      const racing = withStepBeforeTransaction(services, async () => {
        transactions++;
        if (transactions === 1) {
          // after erasure looked for what to erase: a send of the code claims it, then hangs in WeChat's exchange
          void member(hung, 'u1', { action: 'bindPhone', code: c });
          for (let i = 0; i < 1000 && !(await services.dump('phoneCodes')).some((d) => d.pending); i++) await new Promise((r) => setImmediate(r));
        } else {
          // erased, the claims left behind found: the consumer logs in again (a new WeChat record) and binds with that code
          await memberOk(services, 'u1', { action: 'consent', version: terms() });
          again = await memberOk(services, 'u1', { action: 'bindPhone', code: c });
        }
      }, 2);
      expect(await memberOk(racing, 'u1', { action: 'delete', confirm: true })).toEqual({ deleted: true });
      expect(transactions).toBe(2);
      expect(again).toMatchObject({ phoneMasked: '139****5679' });
      expect(await services.dump('phoneCodes')).toEqual([expect.objectContaining({ result: again })]);
      expect(await memberOk(services, 'u1', { action: 'bindPhone', code: c })).toEqual(again);
    });

    it('answers CONFLICT, erasing nothing, when the consumer writes something new through every look; erases once left alone', async () => {
      await boundConsumer(services, 'u1', '13912345678');
      let phone = 13912345600;
      const racing = withStepBeforeTransaction(services, () => memberOk(services, 'u1', { action: 'bindPhone', code: `dev:${++phone}:${services.clock.now()}` }), 5);
      expect(await member(racing, 'u1', { action: 'delete', confirm: true })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
      const before = await snapshot();
      expect(before.records).toHaveLength(1);
      expect(before.phoneCodes).toHaveLength(6);
      expect(await memberOk(services, 'u1', { action: 'delete', confirm: true })).toEqual({ deleted: true });
      expect(await snapshot()).toMatchObject({ records: [], identifiers: [], phoneCodes: [] });
    });
  });
});
