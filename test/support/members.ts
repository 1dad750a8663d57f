import { writeFileSync } from 'node:fs';
import { memberFunction } from '../../cloudfunctions/core/functions/member';
import { importMembersFile } from '../../cloudfunctions/core/identity/import';
import type { ValueDoc } from '../../cloudfunctions/core/identity/graph.store';
import { findWechatRecord } from '../../cloudfunctions/core/identity/lookup';
import { exportMembers, listConflicts, type ExportLine } from '../../cloudfunctions/core/identity/operator';
import { invoke } from '../../cloudfunctions/core/runtime/handler';
import type { Services } from '../../cloudfunctions/core/runtime/services';
import { callerOf } from './services';
import { tempDir } from './temp';

/** Calls a `member` action as the given dev openid and returns the envelope. */
export const member = (services: Services, openid: string | null, event: Record<string, unknown>) =>
  invoke(memberFunction, event, callerOf(openid), services);

/** Calls an action that must succeed and returns its data. */
export async function memberOk<T = Record<string, unknown>>(services: Services, openid: string, event: Record<string, unknown>): Promise<T> {
  const answer = await member(services, openid, event);
  if (!answer.ok) throw new Error(`${String(event.action)} failed: ${answer.error.code} ${answer.error.message}`);
  return answer.data as T;
}

/** A consumer who logged in, agreed to the terms and bound a phone through the dev stand-in. */
export async function boundConsumer(services: Services, openid: string, phone: string): Promise<{ memberId: string; merged: boolean }> {
  const { termsVersion } = await memberOk<{ termsVersion: string }>(services, openid, { action: 'login' });
  await memberOk(services, openid, { action: 'consent', version: termsVersion });
  return memberOk(services, openid, { action: 'bindPhone', code: `dev:${phone}:${services.clock.now()}` });
}

/** A bound consumer whose consent is to terms the brand has since updated (the 会员隐私条款已更新 notice and its 查看并同意). */
export async function consentedToEarlierTerms(services: Services, openid: string, phone: string): Promise<void> {
  await boundConsumer(services, openid, phone);
  const { store } = services;
  const record = await findWechatRecord(store.get.bind(store), openid);
  if (!record?.consent) throw new Error(`no consent recorded for ${openid}`);
  await store.transaction((tx) => tx.set('records', { ...record, consent: { ...record.consent!, version: '2000-01-01' } }));
}

const files = tempDir('mc-files-');
let fileCount = 0;

/** Writes rows as a CSV (header from the first row's keys) or JSONL file under a temp folder. */
export function writeRows(rows: Record<string, unknown>[], format: 'csv' | 'jsonl' = 'csv'): string {
  const file = files.file(`rows-${++fileCount}.${format}`);
  if (format === 'jsonl') writeFileSync(file, rows.map((row) => JSON.stringify(row)).join('\n'));
  else {
    const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    const cell = (value: unknown) => (value === undefined ? '' : /[",\n]/.test(String(value)) ? `"${String(value).replace(/"/g, '""')}"` : String(value));
    writeFileSync(file, [columns.join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))].join('\n'));
  }
  return file;
}

export async function importMembers(services: Services, channel: string, rows: Record<string, unknown>[] | string, batchSize?: number) {
  const file = typeof rows === 'string' ? rows : writeRows(rows);
  return importMembersFile(services, { channel, file, rejectsFile: `${file}.rejects.jsonl`, batchSize });
}

export async function exportAll(services: Services): Promise<ExportLine[]> {
  const lines: ExportLine[] = [];
  for await (const line of exportMembers(services)) lines.push(line);
  return lines;
}

/** The partition of channel ids into members: order-free, for comparing imports. */
export async function partition(services: Services): Promise<string[][]> {
  const lines = await exportAll(services);
  return lines
    .map((line) => line.identifiers.filter((i) => !['phone', 'email', 'unionid', 'openid'].includes(i.type)).map((i) => `${i.type}:${i.value}`).sort())
    .sort((a, b) => (a.join() < b.join() ? -1 : 1));
}

/** The caller of the consumer `refusedCardLink` makes: WeChat gives their unionid. */
export const cardAsker = { openid: 'openid_u1_xx', unionid: 'union_mine_1', appid: 'dev' };

/**
 * Store card C1 holds a unionid; the consumer (`cardAsker`, bound to `phone`) holds another: their
 * link of C1 is refused, and listed under the card. The consumer's WeChat record, which asked.
 */
export async function refusedCardLink(services: Services, phone: string): Promise<string> {
  await importMembers(services, 'offline', [{ channelMemberId: 'C1', phone: '13700000009', unionid: 'union_card_1' }]);
  const as = (event: Record<string, unknown>) => invoke(memberFunction, event, cardAsker, services);
  expect(await as({ action: 'consent', version: services.config.termsVersion })).toMatchObject({ ok: true });
  expect(await as({ action: 'bindPhone', code: `dev:${phone}:${services.clock.now()}` })).toMatchObject({ ok: true });
  expect(await as({ action: 'linkOffline', cardNo: 'C1', last4: '0009' })).toMatchObject({ ok: false, error: { details: { reason: 'cannot_join' } } });
  const asker = (await services.store.get<ValueDoc>('identifiers', `openid:${cardAsker.openid}`))!.records.find((id) => id.startsWith('wechat:'))!;
  expect((await listConflicts(services, 1000)).conflicts).toMatchObject([{ type: 'offline', value: 'C1', askedBy: asker }]);
  return asker;
}
