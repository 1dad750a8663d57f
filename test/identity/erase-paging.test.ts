/**
 * Erasure finds a consumer's phone-code receipts, store-card requests and first touches by query,
 * and a query answers a page at a time (at most 1,000 documents): all pages are read, so a
 * consumer with more than a page of them leaves none behind.
 */
import { findWechatRecord } from '../../cloudfunctions/core/identity/lookup';
import type { Doc } from '../../cloudfunctions/core/store/port';
import { boundConsumer, memberOk } from '../support/members';
import { openTestServices, type TestServices } from '../support/services';

describe('erasure past one page of a consumer\'s trail', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  test('removes every receipt, request and first touch naming the WeChat record, however many', async () => {
    const openid = 'o-erase-many';
    await boundConsumer(services, openid, '13800138000');
    const recordId = (await findWechatRecord((collection, id) => services.store.get(collection, id), openid))!._id;
    const at = new Date(services.clock.now()).toISOString();
    const many = 1001;
    await services.store.transaction(async (tx) => {
      for (let i = 0; i < many; i++) {
        const n = String(i).padStart(4, '0');
        await tx.set('phoneCodes', { _id: `code-${n}`, recordId, result: { merged: false }, at });
        await tx.set('linkRequests', { _id: `offline:C${n}>${recordId}`, status: 'refused', cardRecordId: `offline:C${n}`, wechatRecordId: recordId, at, decidedAt: at, reason: null });
        await tx.set('attributions', { _id: `old-touch-${n}`, memberId: 'm-gone', recordId, kind: 'store', channel: 'wechat', storeId: 's1', guideId: null, campaignId: null, sku: null, at, lastCampaignId: null });
      }
    });

    await memberOk(services, openid, { action: 'delete', confirm: true });

    const left = (items: Doc[]) => items.map((doc) => doc._id);
    expect(left((await services.store.query('phoneCodes', { where: { recordId }, limit: 10 })).items)).toEqual([]);
    expect(left((await services.store.query('linkRequests', { where: { wechatRecordId: recordId }, limit: 10 })).items)).toEqual([]);
    expect(left((await services.store.query('attributions', { where: { recordId }, limit: 10 })).items)).toEqual([]);
  });
});
