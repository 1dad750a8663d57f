import { isDisplayableName } from '../contracts/text';
import { BEIJING_OFFSET_MS } from '../points/time';
import type { Doc } from '../store/port';
import { PLACE_ID } from './scene';

/**
 * The places a consumer comes in through, as documents. Pure rules.
 * - `stores/{storeId}`: a physical store;
 * - `guides/{guideId}`: a shopping guide (导购) of one store;
 * - `campaigns/{campaignId}`: one print run of package cards (包裹卡), with the
 *   bonus an order bound through it earns.
 * Nothing on them counts joins or bound orders: `attributions` and
 * `cardOrders` are counted instead (a counter every join at an in-store event
 * wrote made those joins collide on CloudBase).
 */
export interface StoreDoc extends Doc {
  name: string;
  city: string | null;
  createdAt: string;
}

export interface GuideDoc extends Doc {
  name: string;
  storeId: string;
  /** `left`: no longer recruits (their scene still resolves to the store). */
  status: 'active' | 'left';
  createdAt: string;
}

export interface CampaignDoc extends Doc {
  name: string;
  /** The order channel its cards went out on (`tmall`, `jd`, ...), as orders are imported. */
  platform: string;
  bonus: number;
  validTo: string | null;
  /**
   * The first instant (a Beijing midnight) an order bound through the card may have been paid:
   * a card rides in the parcel of an order paid after its print run began. Absent on campaigns
   * added before it was kept: ORDER_LEAD_DAYS before the campaign was added.
   */
  ordersFrom?: string;
  createdAt: string;
}

export const MAX_BONUS = 100_000;
const DAY_MS = 24 * 3600_000;

/** A display name: 1-40 characters, no control characters. */
export function nameProblem(name: string, what = 'name'): string | null {
  const trimmed = name.trim();
  return trimmed.length === 0 || trimmed.length > 40 || !isDisplayableName(trimmed) ? `${what} must be 1-40 visible characters, without control or direction characters` : null;
}

/** A new place's id. (Scenes still resolve any PLACE_ID, but a new one must not read as a CLI option: `--id --help`.) */
export function idProblem(id: string): string | null {
  if (!PLACE_ID.test(id)) return 'id must be 1-30 letters, digits, _ or - (so its scene fits 32 characters)';
  return /^[A-Za-z0-9]/.test(id) ? null : 'id must start with a letter or digit';
}

export function bonusProblem(bonus: number): string | null {
  return Number.isInteger(bonus) && bonus >= 1 && bonus <= MAX_BONUS ? null : `bonus must be an integer from 1 to ${MAX_BONUS}`;
}

/** How long before a campaign is added the orders its cards ship with may have been paid, by default (parcels still in the warehouse). */
export const ORDER_LEAD_DAYS = 30;

/** The Beijing midnight that starts the day `days` days before the instant `at`. */
export function beijingDayStart(at: number, days = 0): string {
  const wall = at + BEIJING_OFFSET_MS - days * DAY_MS;
  return new Date(wall - (wall % DAY_MS) - BEIJING_OFFSET_MS).toISOString();
}

/** The earliest payment time of an order the campaign's card may be bound to. */
export const ordersFromOf = (campaign: CampaignDoc): string => campaign.ordersFrom ?? beijingDayStart(Date.parse(campaign.createdAt), ORDER_LEAD_DAYS);

export const campaignEnded = (campaign: CampaignDoc, now: number) => campaign.validTo !== null && Date.parse(campaign.validTo) < now;
