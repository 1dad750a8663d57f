import type { Services } from '../runtime/services';
import type { GuideDoc, StoreDoc } from './places';
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

/** Members recruited per store and per guide (the operator's `report guides`). Most recruits first. */
export async function recruitReport(services: Services): Promise<RecruitReport> {
  const stores: RecruitReport['stores'] = [];
  for await (const shop of allDocs<StoreDoc>(services.store, STORES)) {
    const guides: RecruitReport['stores'][number]['guides'] = [];
    for await (const guide of allDocs<GuideDoc>(services.store, GUIDES, { storeId: shop._id })) {
      guides.push({ guideId: guide._id, name: guide.name, status: guide.status, recruited: guide.recruited });
    }
    guides.sort((a, b) => b.recruited - a.recruited || a.guideId.localeCompare(b.guideId));
    stores.push({ storeId: shop._id, name: shop.name, recruited: shop.recruited, guides });
  }
  stores.sort((a, b) => b.recruited - a.recruited || a.storeId.localeCompare(b.storeId));
  return { stores, total: stores.reduce((sum, s) => sum + s.recruited, 0) };
}
