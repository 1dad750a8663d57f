import { loadConfig, type Config } from '../../cloudfunctions/core/runtime/config';
import { member } from './members';
import { openTestServices, type TestServices } from './services';
import { tempDir } from './temp';

/**
 * What the cross-capability model (test/model/cross-capability.test.ts) and the tests of the
 * sequences it found share: its consumers and phones, its keys, its rule of two phones a member,
 * and its `onboard` step.
 */

/** When the model's worlds start. */
export const MODEL_START = '2026-11-23T02:00:00Z';
/** The model's consumers (dev openids, as WeChat spells them). */
export const MODEL_USERS: readonly [string, string, string, string] = ['oUser1AAAAAAAAAAAAAAAAAAAAAA', 'oUser2AAAAAAAAAAAAAAAAAAAAAA', 'oUser3AAAAAAAAAAAAAAAAAAAAAA', 'oUser4AAAAAAAAAAAAAAAAAAAAAA'];
/** The model's phones (besides the shop's number). */
export const MODEL_PHONES: readonly [string, string, string, string] = ['13912340001', '13912340002', '13912340003', '13912340004'];

/**
 * The model's keys, one set for every world: the order in which identity tries a value's joins
 * follows its keyed hash, so a sequence replayed under other keys could part the same records
 * differently where a limit refuses one of two joins.
 */
export const MODEL_KEYS = {
  MC_PHONE_HASH_KEY: Buffer.alloc(32, 1).toString('base64'),
  MC_PHONE_ENC_KEY: Buffer.alloc(32, 2).toString('base64'),
  MC_MEMBER_CODE_KEY: Buffer.alloc(32, 3).toString('base64'),
  MC_CODE_KEYS: `A:${Buffer.alloc(32, 4).toString('base64')}`,
};

/**
 * For the describe block it is called in: the model's keys in the environment (the services and
 * the CLI read them there) from its start, and the environment as it was (MC_CONFIG too) at its
 * end. `open` opens services under them on `identity`, at the model's start; with `cliReadsRules`
 * the CLI reads the same rules (a file MC_CONFIG names), as an operator's reads the brand's.
 */
export function withModelKeys(): { open(identity: Config['identity'], options?: { cliReadsRules?: boolean }): TestServices } {
  const saved = Object.fromEntries(['MC_CONFIG', ...Object.keys(MODEL_KEYS)].map((name) => [name, process.env[name]]));
  const files = tempDir('mc-model-rules-');
  beforeAll(() => Object.assign(process.env, MODEL_KEYS));
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    files.cleanup();
  });
  return {
    open: (identity, { cliReadsRules = false } = {}) => {
      if (cliReadsRules) process.env.MC_CONFIG = files.write('identity.json', JSON.stringify({ identity }));
      return openTestServices(MODEL_START, { identity });
    },
  };
}

/** Identity rules (the shipped ones unless given) allowing two phones a member: a brand whose customers change numbers. */
export const twoPhonesAMember = (identity: Config['identity'] = loadConfig({}).identity): Config['identity'] => ({
  ...identity,
  limits: { ...identity.limits, phone: 2 },
});

/**
 * The consumers of a describe block's services (read when called), walked through the page as the
 * model's `onboard` step does. `phoneCode` is a new tap of the phone button: a code never used
 * before, issued now.
 */
export function modelConsumers(services: () => TestServices) {
  let taps = 0;
  const phoneCode = (phone: string) => `dev:${phone}:${services().clock.now() - ++taps}`;
  /** login, consent and bindPhone with `code` in a row, stopping at the first refusal. */
  const send = async (openid: string, code: string) => {
    const s = services();
    for (const event of [{ action: 'login' }, { action: 'consent', version: s.config.termsVersion }]) {
      const answer = await member(s, openid, event);
      if (!answer.ok) return answer;
    }
    return member(s, openid, { action: 'bindPhone', code });
  };
  return {
    phoneCode,
    /** The consumer onboarded with `phone`, on a new tap of the phone button. */
    onboard: (openid: string, phone: string) => send(openid, phoneCode(phone)),
    /** The same, to be sent later and again: the same code each time it is sent. */
    onboarding: (openid: string, phone: string) => {
      const code = phoneCode(phone);
      return () => send(openid, code);
    },
  };
}
