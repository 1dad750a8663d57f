/**
 * `report guides` over many first touches: N members who joined through 50 guides of one store
 * (each by its WeChat record, with a phone),
 * a third of them holding a Tmall card that joined before (already members), written straight
 * to the embedded store, then the real report. Prints its time and the memory it added.
 *
 *   npx tsx bench/report.ts [--attributions N]
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { openLocalServices } from '../cloudfunctions/core/local/services';
import { silentLogger } from '../cloudfunctions/core/runtime/log';
import { addGuide, addStore } from '../cloudfunctions/core/scenes/places.store';
import { recruitReport } from '../cloudfunctions/core/scenes/report';
import { tempDir } from '../test/support/temp';
import { numberFlag } from './support';

const COUNT = numberFlag('attributions', 1_000_000);
const GUIDES = 50;
const BATCH = 5000;

const peakRssMb = () => Number(/VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;

async function main(): Promise<void> {
  const temp = tempDir('mc-bench-report-');
  try {
    const services = openLocalServices({ dbFile: temp.file('mc.db'), log: silentLogger, durability: 'normal' });
    await addStore(services, { id: 'S1', name: '南京西路店' });
    for (let g = 0; g < GUIDES; g++) await addGuide(services, { id: `G${g}`, storeId: 'S1', name: `导购${g}` });
    const at = '2026-11-01T00:00:00.000Z';
    const t0 = Date.now();
    for (let start = 0; start < COUNT; start += BATCH) {
      await services.store.transaction(async (tx) => {
        for (let i = start; i < Math.min(COUNT, start + BATCH); i++) {
          const id = `m_${String(i).padStart(9, '0')}`;
          const card = i % 3 === 0 ? `tmall:T${i}` : null;
          await tx.set('members', { _id: id, status: 'active', records: [`wechat:o${i}`, ...(card ? [card] : [])], createdAt: at, mergedInto: null });
          await tx.set('records', { _id: `wechat:o${i}`, memberId: id, channel: 'wechat', channelMemberId: `o${i}`, identifiers: [{ type: 'phone', value: createHash('sha256').update(`p${i}`).digest('base64url') }], createdAt: at, updatedAt: at });
          await tx.set('attributions', { _id: `wechat:o${i}`, memberId: id, recordId: `wechat:o${i}`, kind: 'guide', channel: 'wechat', storeId: 'S1', guideId: `G${i % GUIDES}`, campaignId: null, sku: null, at, lastCampaignId: null, recruit: true, alreadyMember: false });
          if (card) await tx.set('records', { _id: card, memberId: id, channel: 'tmall', channelMemberId: `T${i}`, identifiers: [], joinedAt: '2020-01-01T00:00:00.000Z', createdAt: at, updatedAt: at });
        }
      });
    }
    console.log(`${COUNT} first touches written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const before = process.memoryUsage().rss / 2 ** 20;
    const started = Date.now();
    const report = await recruitReport(services);
    const seconds = (Date.now() - started) / 1000;
    console.log(`report guides: ${seconds.toFixed(1)} s for ${COUNT} first touches (${report.total} new members, ${report.alreadyMembers} already members); rss ${before.toFixed(0)} MB before, peak ${peakRssMb().toFixed(0)} MB`);
    await services.store.close();
  } finally {
    temp.cleanup();
  }
}

void main();
