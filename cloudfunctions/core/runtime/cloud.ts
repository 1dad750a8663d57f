import cloud from 'wx-server-sdk';
import { wechatPhoneExchanger } from '../identity/phone-exchange';
import { CloudBaseStore } from '../store/cloudbase';
import { systemClock } from './clock';
import { loadConfig } from './config';
import { invoke, type CloudFunction } from './handler';
import { timeOrderedIds } from './ids';
import { stderrLogger } from './log';
import { secretsFromEnv } from './secrets';
import type { Caller, Services } from './services';

let services: Services | undefined;

/** Built once per warm instance: the SDK, the store adapter and the config. */
function cloudServices(): Services {
  cloud.init({ env: cloud.DYNAMIC_CURRENT_ENV as unknown as string });
  return {
    store: new CloudBaseStore(cloud.database()),
    clock: systemClock,
    ids: timeOrderedIds,
    config: loadConfig(),
    log: stderrLogger,
    secrets: secretsFromEnv(),
    phoneCodes: wechatPhoneExchanger(cloud.openapi as never),
  };
}

/** The caller as WeChat vouches for it; the event's own fields are never consulted. */
function trustedCaller(): Caller {
  const context = cloud.getWXContext() as { OPENID?: string; UNIONID?: string; APPID?: string };
  return { openid: context.OPENID || null, unionid: context.UNIONID || null, appid: context.APPID || null };
}

/** A WeChat cloud function's `main` for one of our function definitions. */
export function cloudEntry(fn: CloudFunction): (event: unknown) => Promise<unknown> {
  return async (event) => {
    try {
      services ??= cloudServices();
    } catch (error) {
      // A deployment without a key or with a bad config: the consumer gets the envelope, and the
      // function's log says what to set (our messages name the variable, never its value).
      stderrLogger.error('instance_setup_failed', { fn: fn.name, error: error instanceof Error ? error.message.slice(0, 300) : typeof error });
      return { ok: false, error: { code: 'INTERNAL', message: 'internal error' } };
    }
    return invoke(fn, event, trustedCaller(), services);
  };
}
