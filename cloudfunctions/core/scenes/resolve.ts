import { checkCodeFor } from '../codes/redeem';
import { AppError } from '../runtime/errors';
import type { Services } from '../runtime/services';
import { campaignEnded } from './places';
import { getCampaign, getGuide, getStore } from './places.store';
import { parseLink, parseScene, type SceneRef } from './scene';

export type Resolved =
  | { kind: 'guide'; guideId: string; guideName: string; storeId: string; storeName: string }
  | { kind: 'store'; storeId: string; storeName: string }
  | { kind: 'packageCard'; campaignId: string; campaignName: string; platform: string; bonus: number; ended: boolean }
  | { kind: 'product'; code: string; sku: string; name: string; points: number };

/** The scene or link an event carries, or INVALID_INPUT. */
export function sceneRefOf(services: Services, input: { scene?: string; q?: string }): SceneRef {
  const ref = input.scene !== undefined ? parseScene(input.scene) : parseLink(input.q ?? '', services.config.brandDomain);
  if (!ref) {
    throw new AppError('INVALID_INPUT', input.scene !== undefined
      ? 'scene must be g=<guide>, s=<store> or p=<campaign>, at most 32 characters'
      : `q must be a https://${services.config.brandDomain}/c|g|s|p/… link`);
  }
  return ref;
}

/** What a reference names, read from the store. Throws NOT_FOUND, CODE_INVALID, CODE_EXPIRED. */
export async function resolveRef(services: Services, ref: SceneRef, openid: string | null = null): Promise<Resolved> {
  const { store } = services;
  switch (ref.kind) {
    case 'product': {
      const checked = await checkCodeFor(services, openid, ref.code);
      if (checked instanceof AppError) throw checked;
      return { kind: 'product', code: checked.code.code, sku: checked.batch.sku, name: checked.batch.name, points: checked.batch.points };
    }
    case 'guide': {
      const guide = await getGuide(store, ref.id);
      const shop = guide ? await getStore(store, guide.storeId) : null;
      if (!guide || !shop) throw new AppError('NOT_FOUND', 'unknown shopping guide');
      // a guide who left hands their customers to the store
      if (guide.status !== 'active') return { kind: 'store', storeId: shop._id, storeName: shop.name };
      return { kind: 'guide', guideId: guide._id, guideName: guide.name, storeId: shop._id, storeName: shop.name };
    }
    case 'store': {
      const shop = await getStore(store, ref.id);
      if (!shop) throw new AppError('NOT_FOUND', 'unknown store');
      return { kind: 'store', storeId: shop._id, storeName: shop.name };
    }
    case 'packageCard': {
      const campaign = await getCampaign(store, ref.id);
      if (!campaign) throw new AppError('NOT_FOUND', 'unknown package card campaign');
      return {
        kind: 'packageCard', campaignId: campaign._id, campaignName: campaign.name, platform: campaign.platform,
        bonus: campaign.bonus, ended: campaignEnded(campaign, services.clock.now()),
      };
    }
  }
}

/**
 * `scenes.resolve`: what a scanned scene or link leads to, for the page to
 * show before the consumer joins. Reads only; a product code is verified but
 * not redeemed. Throws INVALID_INPUT, NOT_FOUND, CODE_INVALID, CODE_EXPIRED.
 */
export const resolveScene = (services: Services, input: { scene?: string; q?: string }, openid: string | null = null) => resolveRef(services, sceneRefOf(services, input), openid);
