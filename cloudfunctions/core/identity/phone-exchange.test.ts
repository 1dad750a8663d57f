import { wechatPhoneExchanger } from './phone-exchange';

/** WeChat's open API as wx-server-sdk hands it over; its failures carry WeChat's errCode. */
const openapiAnswering = (answer: () => Promise<unknown>) =>
  ({ phonenumber: { getPhoneNumber: answer } }) as Parameters<typeof wechatPhoneExchanger>[0];
const sdkError = (errCode: number, errMsg: string) => Object.assign(new Error(`errCode: ${errCode} | errMsg: ${errMsg}`), { errCode, errMsg });

describe('the production phone exchange', () => {
  it('answers the mainland number and the appid WeChat issued the code to', async () => {
    const exchanger = wechatPhoneExchanger(openapiAnswering(async () => ({
      errCode: 0, phoneInfo: { purePhoneNumber: '13912345678', countryCode: '86', watermark: { appid: 'wx123' } },
    })));
    await expect(exchanger.exchange('c')).resolves.toEqual({ phone: '13912345678', appid: 'wx123' });
  });

  it('takes the country code as a number too (WeChat\'s own example writes it so)', async () => {
    const exchanger = wechatPhoneExchanger(openapiAnswering(async () => ({ phoneInfo: { purePhoneNumber: '13912345678', countryCode: 86, watermark: { appid: 'wx123' } } })));
    await expect(exchanger.exchange('c')).resolves.toEqual({ phone: '13912345678', appid: 'wx123' });
    const abroad = wechatPhoneExchanger(openapiAnswering(async () => ({ phoneInfo: { purePhoneNumber: '4155550100', countryCode: 1 } })));
    await expect(abroad.exchange('c')).rejects.toMatchObject({ code: 'PHONE_CODE_INVALID' });
  });

  it.each([
    [-1, 'system error'],
    // the mini-program's minute quota of this API is used up (many joins at once: a launch, a live stream)
    [45011, 'api minute-quota reach limit mustslower retry next minute'],
  ])('answers WeChat\'s %d (busy: try again later) as UNAVAILABLE, which the page offers to retry', async (errCode, errMsg) => {
    const exchanger = wechatPhoneExchanger(openapiAnswering(async () => { throw sdkError(errCode, errMsg); }));
    await expect(exchanger.exchange('c')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('refuses a number outside the mainland', async () => {
    const exchanger = wechatPhoneExchanger(openapiAnswering(async () => ({ phoneInfo: { purePhoneNumber: '4155550100', countryCode: '1' } })));
    await expect(exchanger.exchange('c')).rejects.toMatchObject({ code: 'PHONE_CODE_INVALID' });
  });

  it('turns WeChat\'s 40029 (bad, expired, used or foreign code) into PHONE_CODE_INVALID', async () => {
    const exchanger = wechatPhoneExchanger(openapiAnswering(async () => { throw sdkError(40029, 'invalid code'); }));
    await expect(exchanger.exchange('c')).rejects.toMatchObject({ code: 'PHONE_CODE_INVALID' });
  });

  it.each([
    [-604101, 'function has no permission to call this API'],
    [40013, 'invalid appid'],
  ])('passes WeChat\'s %d on as a failure of ours, not a consumer\'s bad code', async (errCode, errMsg) => {
    const failure = sdkError(errCode, errMsg);
    const exchanger = wechatPhoneExchanger(openapiAnswering(async () => { throw failure; }));
    await expect(exchanger.exchange('c')).rejects.toBe(failure);
  });
});
