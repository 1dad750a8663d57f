import type { Services } from '../runtime/services';
import type { GuideDoc, StoreDoc } from './places';
import type { AttributionDoc } from './attribution';
import { ATTRIBUTIONS } from './join';
import { allDocs, GUIDES, STORES } from './places.store';

export interface RecruitReport {
  stores: {
    storeId: string;
    name: string;
    /** Members whose first touch was this store or one of its guides. */
    recruited: number;
    guides: { guideId: string; name: string; status: GuideDoc['status']; recruited: number }[];
  }[];
  /** Members first touched through any store or guide. */
  total: number;
}

/**
 * Members recruited per store and per guide (the operator's `report guides`), counted from the
 * first touches themselves (`attributions`: one document per member, a few seconds a million).
 * Most recruits first.
 */
export async function recruitReport(services: Services): Promise<RecruitReport> {
  const byStore = new Map<string, number>();
  const byGuide = new Map<string, number>();
  const add = (counts: Map<string, number>, id: string | null) => {
    if (id) counts.set(id, (counts.get(id) ?? 0) + 1);
  };
  for await (const attribution of allDocs<AttributionDoc>(services.store, ATTRIBUTIONS)) {
    add(byStore, attribution.storeId);
    add(byGuide, attribution.guideId);
  }
  const stores: RecruitReport['stores'] = [];
  for await (const shop of allDocs<StoreDoc>(services.store, STORES)) {
    const guides: RecruitReport['stores'][number]['guides'] = [];
    for await (const guide of allDocs<GuideDoc>(services.store, GUIDES, { storeId: shop._id })) {
      guides.push({ guideId: guide._id, name: guide.name, status: guide.status, recruited: byGuide.get(guide._id) ?? 0 });
    }
    guides.sort((a, b) => b.recruited - a.recruited || a.guideId.localeCompare(b.guideId));
    stores.push({ storeId: shop._id, name: shop.name, recruited: byStore.get(shop._id) ?? 0, guides });
  }
  stores.sort((a, b) => b.recruited - a.recruited || a.storeId.localeCompare(b.storeId));
  return { stores, total: stores.reduce((sum, s) => sum + s.recruited, 0) };
}
