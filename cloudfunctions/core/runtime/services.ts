import type { PhoneCodeExchanger } from '../identity/phone-exchange';
import type { DocStore } from '../store/port';
import type { Clock } from './clock';
import type { Config } from './config';
import type { IdSource } from './ids';
import type { Logger } from './log';
import type { Secrets } from './secrets';

/** Everything a service may touch besides its input: injected, never imported. */
export interface Services {
  store: DocStore;
  clock: Clock;
  ids: IdSource;
  config: Config;
  log: Logger;
  secrets: Secrets;
  /** WeChat's phone-number API, or the dev runtime's stand-in. */
  phoneCodes: PhoneCodeExchanger;
}

/**
 * Who is calling, as the trusted context says: WeChat's getWXContext() in the
 * cloud, the dev header in the local runtime, the operator at the CLI.
 * Never a field of the event.
 */
export interface Caller {
  openid: string | null;
  unionid: string | null;
  appid: string | null;
}

export const anonymous: Caller = { openid: null, unionid: null, appid: null };

/** The caller's openid; the handler has already refused callers without one. */
export function callerOpenid(caller: Caller): string {
  if (!caller.openid) throw new Error('caller without openid reached a service');
  return caller.openid;
}
