import { AppError } from '../runtime/errors';
import type { Clock } from '../runtime/clock';

/**
 * WeChat's phone button gives the page a one-time code; only the server can
 * turn it into a number (`phonenumber.getPhoneNumber`). A number the page
 * sends itself is never trusted.
 */
export interface PhoneCodeExchanger {
  /** The number behind the code and the appid it was issued to; AppError PHONE_CODE_INVALID otherwise. */
  exchange(code: string): Promise<{ phone: string; appid: string }>;
}

/** WeChat's codes live five minutes. */
export const PHONE_CODE_TTL_MS = 5 * 60 * 1000;

/**
 * The dev runtime's stand-in for WeChat's API. Codes are
 * `dev:<11 digits>[:<issued at, ms>][@<appid>]`: the phone form in H5 sends
 * `dev:<phone>:<now>`; tests add an old time for an expired code or another
 * appid for a foreign one. It exchanges a code any number of times, where WeChat
 * exchanges each once: bindPhone keeps a receipt of every code used (its own
 * single use) and answers the same consumer's second send from it either way.
 */
export function devPhoneExchanger(clock: Clock): PhoneCodeExchanger {
  return {
    async exchange(code) {
      const match = /^dev:(\d{11})(?::(\d{13}))?(?:@([A-Za-z0-9_-]{1,32}))?$/.exec(code);
      if (!match) throw new AppError('PHONE_CODE_INVALID', 'not a phone code');
      const [, phone, issuedAt, appid] = match;
      if (issuedAt && clock.now() - Number(issuedAt) > PHONE_CODE_TTL_MS) throw new AppError('PHONE_CODE_INVALID', 'phone code expired');
      // WeChat issues codes as it is asked: one dated ahead (past a minute of clock drift) was made up
      if (issuedAt && Number(issuedAt) - clock.now() > 60_000) throw new AppError('PHONE_CODE_INVALID', 'phone code issued in the future');
      return { phone: phone!, appid: appid ?? 'dev' };
    },
  };
}

interface OpenApi {
  phonenumber: { getPhoneNumber(input: { code: string }): Promise<{ errCode?: number; phoneInfo?: { purePhoneNumber?: string; countryCode?: string | number | null; watermark?: { appid?: string } } }> };
}

const WECHAT_INVALID_CODE = 40029;
const WECHAT_BUSY = -1;
/** The mini-program called the API more often than its minute quota allows: busy too, for a minute. */
const WECHAT_QUOTA_REACHED = 45011;

/** Production: wx-server-sdk's openapi (cloud call, no access token needed). */
export function wechatPhoneExchanger(openapi: OpenApi): PhoneCodeExchanger {
  return {
    async exchange(code) {
      let answer;
      try {
        answer = await openapi.phonenumber.getPhoneNumber({ code });
      } catch (error) {
        // 40029: the code is malformed, expired, used already or another app's
        const errCode = (error as { errCode?: unknown } | null)?.errCode;
        if (errCode === WECHAT_INVALID_CODE) throw new AppError('PHONE_CODE_INVALID', 'WeChat refused the phone code');
        // -1 and 45011: WeChat is busy, or the app's quota is used up, and asks to be tried again a little later
        if (errCode === WECHAT_BUSY || errCode === WECHAT_QUOTA_REACHED) throw new AppError('UNAVAILABLE', 'WeChat is busy: try again');
        // Anything else is ours to fix, not the consumer's: -604101 means the member function was
        // deployed without its config.json (the open API permission).
        throw error;
      }
      const info = answer.phoneInfo;
      // a string in WeChat's field table, a number in its example: either
      if (!info?.purePhoneNumber || (info.countryCode !== undefined && info.countryCode !== null && String(info.countryCode) !== '86')) {
        throw new AppError('PHONE_CODE_INVALID', 'not a mainland mobile');
      }
      return { phone: info.purePhoneNumber, appid: info.watermark?.appid ?? '' };
    },
  };
}
