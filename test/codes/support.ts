import { Writable } from 'node:stream';
import type { BatchDoc } from '../../cloudfunctions/core/codes/batch';
import { createBatch } from '../../cloudfunctions/core/codes/create';
import { codesFunction } from '../../cloudfunctions/core/functions/codes';
import { scenesFunction } from '../../cloudfunctions/core/functions/scenes';
import { importOrdersFile } from '../../cloudfunctions/core/orders/import.store';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import type { Services } from '../../cloudfunctions/core/runtime/services';
import { writeRows } from '../support/members';
import { callerOf, type TestServices } from '../support/services';

/** A batch made through the real generator, its scan URLs kept in memory. */
export async function makeBatch(services: Services, spec: Partial<{ sku: string; name: string; points: number; count: number; validTo: string | null }> = {}): Promise<{ batch: BatchDoc; urls: string[]; codes: string[] }> {
  let text = '';
  const out = new Writable({ write(chunk: Buffer, _encoding, done) { text += chunk.toString(); done(); } });
  const batch = await createBatch(services, { sku: 'SKU-1', name: '面霜 50ml', points: 20, count: 10, validTo: null, ...spec, open: () => out });
  const urls = text.trim().split('\n');
  return { batch, urls, codes: urls.map((url) => url.slice(url.lastIndexOf('/') + 1)) };
}

export const codes = (services: Services, openid: string | null, event: Record<string, unknown>) => invoke(codesFunction, event, callerOf(openid), services);
export const scenes = (services: Services, openid: string | null, event: Record<string, unknown>) => invoke(scenesFunction, event, callerOf(openid), services);

/** A scenes action's data, or the test fails with its error code. */
export async function scenesOk(services: Services, openid: string, event: Record<string, unknown>): Promise<Record<string, unknown>> {
  const answer = await scenes(services, openid, event);
  if (!answer.ok) throw new Error(`${String(event.action)}: ${answer.error.code} ${answer.error.message}`);
  return answer.data as Record<string, unknown>;
}

export const redeem = (services: Services, openid: string | null, fields: Record<string, unknown>) => codes(services, openid, { action: 'redeem', ...fields });

/** Every document of the collections a scan, join or binding may touch: for "nothing was written". */
export async function snapshot(services: TestServices): Promise<Record<string, unknown[]>> {
  const names = ['codeBatches', 'codeRepeats', 'codeKeys', 'stores', 'guides', 'campaigns', 'attributions', 'cardOrders', 'ledger', 'accounts', 'balances', 'records', 'identifiers', 'members'];
  const all: Record<string, unknown[]> = {};
  for (const name of names) all[name] = await services.dump(name);
  return all;
}

export async function importOrders(services: Services, channel: string, rows: Record<string, unknown>[]) {
  const file = writeRows(rows);
  return importOrdersFile(services, { channel, file, rejectsFile: `${file}.rejects.jsonl` });
}

/**
 * A first touch as the version before first touches were kept by WeChat record wrote it: under the
 * member joined as, naming the WeChat record, a recruit of guide G001 at store SH001, dated now.
 */
export async function writeLegacyFirstTouch(services: TestServices, memberId: string, recordId: string): Promise<void> {
  await services.store.transaction(async (tx) => {
    await tx.set('attributions', {
      _id: memberId, memberId, recordId, kind: 'guide', channel: 'wechat', storeId: 'SH001', guideId: 'G001', campaignId: null, sku: null,
      at: new Date(services.clock.now()).toISOString(), lastCampaignId: null, recruit: true, alreadyMember: true,
    });
  });
}
