/**
 * A sequence the cross-capability model found (test/model/cross-capability.test.ts): a consumer
 * scans a code, their member then comes to owe points elsewhere (the phone they bind next is a Tmall
 * member's, imported with an opening of −20 at the same moment), and the page sends the scan again
 * with the same request id (its first answer lost). The retry must answer the first result, and write
 * nothing: the scan's ledger entry is the claim, and repaying the debt from the code's points is not
 * the retry's to do. It answered INTERNAL: the transaction, taking the claim as absent, credited a
 * second lot of the claim's name, and the repayment could not take from two lots of one name.
 */
import { codesFunction } from '../../cloudfunctions/core/functions/codes';
import { memberFunction } from '../../cloudfunctions/core/functions/member';
import { pointsFunction } from '../../cloudfunctions/core/functions/points';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import type { LogFields, Logger } from '../../cloudfunctions/core/runtime/log';
import { importMembers } from '../support/members';
import { callerOf, openTestServices, type TestServices } from '../support/services';
import { makeBatch } from './support';

const CONSUMER = 'oUser3AAAAAAAAAAAAAAAAAAAAAA';

describe('a scan sent again after the member came to owe points on another account', () => {
  let services: TestServices;
  let codes = 0;
  const logged: { event: string; fields?: LogFields }[] = [];
  beforeEach(() => {
    const base = openTestServices('2026-11-23T02:00:00Z');
    const log: Logger = { info: () => {}, warn: (event, fields) => logged.push({ event, fields }), error: (event, fields) => logged.push({ event, fields }) };
    services = { ...base, log };
    logged.length = 0;
  });
  afterEach(() => services.close());

  const member = (event: Record<string, unknown>) => invoke(memberFunction, event, callerOf(CONSUMER), services);
  const bindPhone = (phone: string) => member({ action: 'bindPhone', code: `dev:${phone}:${services.clock.now() - ++codes}` });
  const scan = (code: string, requestId: string) => invoke(codesFunction, { action: 'redeem', code, requestId }, callerOf(CONSUMER), services);
  const money = async () => ({ ledger: await services.dump('ledger'), accounts: await services.dump('accounts'), balances: await services.dump('balances') });

  it.each([
    ['side by side', true],
    ['one after the other', false],
  ])('the same request answers the first result and writes nothing (binding and import %s)', async (_how, together) => {
    const { codes: [code] } = await makeBatch(services, { sku: 'SKU-B', name: '小样', points: 5, count: 3, validTo: '2027-03-01' });
    expect(await member({ action: 'login' })).toMatchObject({ ok: true });
    expect(await member({ action: 'consent', version: services.config.termsVersion })).toMatchObject({ ok: true });
    expect(await bindPhone('13912340001')).toMatchObject({ ok: true });

    const first = await scan(code!, 'scan-req-2-3-0');
    expect(first).toMatchObject({ ok: true, data: { points: 5, available: 5, repeated: false } });

    // the consumer changes their number to a Tmall member's, whose opening balance is a debt
    const bind = () => bindPhone('13912340002');
    const owe = () => importMembers(services, 'tmall', [{ channelMemberId: 'T1', phone: '13912340002', points: '-20', growth: '0' }]);
    if (together) await Promise.all([bind(), owe()]);
    else {
      await bind();
      await owe();
    }
    const summary = await invoke(memberFunction, { action: 'channels' }, callerOf(CONSUMER), services);
    expect(summary).toMatchObject({ ok: true, data: { tmall: true } });

    const before = await money();
    const again = await scan(code!, 'scan-req-2-3-0');
    expect(logged).toEqual([]);
    // the first answer, with the points available now, as points.summary counts them
    const shown = await invoke(pointsFunction, { action: 'summary' }, callerOf(CONSUMER), services);
    expect(again).toEqual({ ok: true, data: { ...(first as { data: object }).data, available: (shown as { data: { available: number } }).data.available } });
    expect(await money()).toEqual(before);
    // and a scan of it with another request id is the same member's repeat, also writing nothing
    expect(await scan(code!, 'scan-req-2-3-1')).toMatchObject({ ok: true, data: { points: 5, repeated: true } });
    expect(await money()).toEqual(before);
  });
});
