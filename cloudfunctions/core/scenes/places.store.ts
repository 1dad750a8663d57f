import { createHash } from 'node:crypto';
import { parseValidTo } from '../codes/batch';
import { AppError } from '../runtime/errors';
import { base32 } from '../runtime/ids';
import type { Services } from '../runtime/services';
import { allDocs } from '../store/all-docs';
import type { Doc, DocStore } from '../store/port';
import { unknownChannelProblem } from '../identity/records';
import { BEIJING_OFFSET_MS, beijingTime, parseBeijingTime } from '../points/time';
import { beijingDayStart, bonusProblem, idProblem, nameProblem, ORDER_LEAD_DAYS, ordersFromOf, type CampaignDoc, type GuideDoc, type StoreDoc } from './places';

/** Operator side of stores, guides and campaigns (the CLI calls these). */

export const STORES = 'stores';
export const GUIDES = 'guides';
export const CAMPAIGNS = 'campaigns';

/** The Beijing calendar day of an instant: 2026-11-12. */
const beijingDate = (iso: string) => new Date(Date.parse(iso) + BEIJING_OFFSET_MS).toISOString().slice(0, 10);

/** `--orders-from YYYY-MM-DD`: that day's Beijing midnight, or null. */
const parseOrdersFrom = (date: string) => (/^\d{4}-\d{2}-\d{2}$/.test(date) ? parseBeijingTime(date) : null);

const invalid = (problem: string | null) => {
  if (problem) throw new AppError('INVALID_INPUT', problem);
};

/** A place added, or found already there (a repeated run): nothing was written then. */
export interface Added<T> {
  doc: T;
  repeated: boolean;
}

/**
 * Without --id a place's id comes from what defines it (a store's name and city, a guide's store and
 * name, a campaign's name, platform, bonus and end), so an `add` run again after it seemed to fail
 * answers the place it made instead of adding a second one.
 */
function contentId(prefix: string, parts: (string | number | null)[]): string {
  return `${prefix}_${base32(createHash('sha256').update(JSON.stringify(parts)).digest()).slice(0, 16)}`;
}

/**
 * Creates the place, or answers the one holding its id when that one is the same place; null when
 * the holder is one to pass over (`passOver`: a guide who left, whose name a new hire may share).
 */
async function addOnce<T extends Doc>(
  services: Services, collection: string, doc: T, sameAs: (held: T) => boolean, describe: (held: T) => string,
  passOver: (held: T) => boolean = () => false,
): Promise<Added<T> | null> {
  return services.store.transaction(async (tx) => {
    const held = await tx.get<T>(collection, doc._id);
    if (!held) {
      await tx.create(collection, doc);
      return { doc, repeated: false };
    }
    if (passOver(held)) return null;
    if (sameAs(held)) return { doc: held, repeated: true };
    throw new AppError('CONFLICT', describe(held));
  });
}

/** addOnce for a place that is never passed over. */
async function addPlace<T extends Doc>(services: Services, collection: string, doc: T, sameAs: (held: T) => boolean, describe: (held: T) => string): Promise<Added<T>> {
  return (await addOnce(services, collection, doc, sameAs, describe))!;
}

/**
 * Without --id, the same place already added under another id (one given with --id, or a random
 * one an earlier version made) is the one answered: running `add` again never adds a second.
 */
async function addedBefore<T extends Doc>(services: Services, collection: string, where: Record<string, string>, same: (held: T) => boolean): Promise<Added<T> | null> {
  for await (const held of allDocs<T>(services.store, collection, { where })) if (same(held)) return { doc: held, repeated: true };
  return null;
}

/** Same-named guides one store may have had, each left in turn, before an add gives up. */
const MAX_NAMESAKES = 100;

const nowIso = (services: Services) => new Date(services.clock.now()).toISOString();

/** Throws INVALID_INPUT, CONFLICT (the id is taken by another store). */
export async function addStore(services: Services, input: { id?: string; name: string; city?: string }): Promise<Added<StoreDoc>> {
  const name = input.name.trim();
  const city = input.city?.trim() ?? null;
  const id = input.id ?? contentId('s', [name, city]);
  invalid(idProblem(id) ?? nameProblem(input.name) ?? (input.city !== undefined ? nameProblem(input.city, 'city') : null));
  const sameAs = (held: StoreDoc) => held.name === name && held.city === city;
  if (input.id === undefined) {
    const before = await addedBefore(services, STORES, {}, sameAs);
    if (before) return before;
  }
  const doc: StoreDoc = { _id: id, name, city, createdAt: nowIso(services) };
  return addPlace(services, STORES, doc, sameAs,
    (held) => `store ${id} already exists: ${held.name}${held.city ? ` (${held.city})` : ''}`);
}

/** Throws INVALID_INPUT, NOT_FOUND (no such store), CONFLICT. */
export async function addGuide(services: Services, input: { id?: string; storeId: string; name: string }): Promise<Added<GuideDoc>> {
  const name = input.name.trim();
  invalid((input.id === undefined ? null : idProblem(input.id)) ?? nameProblem(input.name));
  if (!(await services.store.get<StoreDoc>(STORES, input.storeId))) throw new AppError('NOT_FOUND', `no store ${input.storeId}`);
  const sameAs = (held: GuideDoc) => held.name === name && held.storeId === input.storeId;
  const describe = (held: GuideDoc) => `guide ${held._id} already exists: ${held.name} of store ${held.storeId}`;
  const guide = (id: string): GuideDoc => ({ _id: id, name, storeId: input.storeId, status: 'active', createdAt: nowIso(services) });
  if (input.id !== undefined) return addPlace(services, GUIDES, guide(input.id), sameAs, describe);
  const before = await addedBefore<GuideDoc>(services, GUIDES, { storeId: input.storeId }, (held) => sameAs(held) && held.status === 'active');
  if (before) return before;
  // Without --id, a guide of that name who left is passed over: a new hire of the same name gets
  // the next id of the name (and adding them again finds them there), not the code of the one who left.
  for (let namesake = 0; namesake < MAX_NAMESAKES; namesake++) {
    const id = contentId('g', namesake === 0 ? [input.storeId, name] : [input.storeId, name, namesake]);
    const added = await addOnce(services, GUIDES, guide(id), sameAs, describe, (held) => held.status === 'left' && sameAs(held));
    if (added) return added;
  }
  throw new AppError('CONFLICT', `${MAX_NAMESAKES} guides named ${name} have left store ${input.storeId}: give this one an --id`);
}

/** A guide who left recruits no more; their earlier recruits stay credited. Throws NOT_FOUND. */
export async function guideLeft(services: Services, guideId: string): Promise<GuideDoc & { already: boolean }> {
  return services.store.transaction(async (tx) => {
    const guide = await tx.get<GuideDoc>(GUIDES, guideId);
    if (!guide) throw new AppError('NOT_FOUND', `no guide ${guideId}`);
    if (guide.status === 'left') return { ...guide, already: true };
    await tx.update(GUIDES, guideId, { status: 'left' });
    return { ...guide, status: 'left', already: false };
  });
}

/** Throws INVALID_INPUT, CONFLICT (the id is taken by another campaign). */
export async function addCampaign(services: Services, input: { id?: string; name: string; platform: string; bonus: number; validTo?: string; ordersFrom?: string }): Promise<Added<CampaignDoc>> {
  const name = input.name.trim();
  const validTo = input.validTo === undefined ? null : parseValidTo(input.validTo);
  const ordersFrom = input.ordersFrom === undefined ? beijingDayStart(services.clock.now(), ORDER_LEAD_DAYS) : parseOrdersFrom(input.ordersFrom);
  const id = input.id ?? contentId('p', [name, input.platform, input.bonus, validTo]);
  invalid(
    idProblem(id) ?? nameProblem(input.name) ?? bonusProblem(input.bonus)
      // the channel its orders are imported from: a card for any other could never bind one
      ?? unknownChannelProblem(input.platform, services.config.identity.priority)
      ?? (input.validTo !== undefined && !validTo ? `valid-to ${input.validTo} is not a date (YYYY-MM-DD) or a time (YYYY-MM-DD HH:MM, or ISO with a zone)` : null)
      ?? (validTo && Date.parse(validTo) <= services.clock.now() ? `valid-to ${input.validTo} has passed: give a future date` : null)
      ?? (!ordersFrom ? `orders-from ${input.ordersFrom} is not a date (YYYY-MM-DD)` : null)
      ?? (validTo && ordersFrom && ordersFrom > validTo ? `orders-from ${input.ordersFrom} is after valid-to ${input.validTo}` : null),
  );
  // the default order window moves with the day a rerun is made on: only a window given decides sameness
  const sameAs = (held: CampaignDoc) => held.name === name && held.platform === input.platform && held.bonus === input.bonus && held.validTo === validTo
    && (input.ordersFrom === undefined || ordersFromOf(held) === ordersFrom);
  if (input.id === undefined) {
    const before = await addedBefore(services, CAMPAIGNS, {}, sameAs);
    if (before) return before;
  }
  const doc: CampaignDoc = {
    _id: id, name, platform: input.platform, bonus: input.bonus, validTo, ordersFrom: ordersFrom!, createdAt: nowIso(services),
  };
  return addPlace(services, CAMPAIGNS, doc, sameAs,
    (held) => `campaign ${id} already exists: ${held.name}, bonus ${held.bonus} on ${held.platform} orders paid from ${beijingDate(ordersFromOf(held))}${held.validTo ? ` until ${beijingTime(held.validTo)}` : ''}`
      + (input.id === undefined ? ' (give --id for a campaign of its own)' : ''));
}

export const getStore = (store: DocStore, id: string) => store.get<StoreDoc>(STORES, id);
export const getGuide = (store: DocStore, id: string) => store.get<GuideDoc>(GUIDES, id);
export const getCampaign = (store: DocStore, id: string) => store.get<CampaignDoc>(CAMPAIGNS, id);

export const allStores = (store: DocStore) => allDocs<StoreDoc>(store, STORES);
/** Every guide, or one store's (off the guides' `storeId` index). */
export const allGuides = (store: DocStore, storeId?: string) => allDocs<GuideDoc>(store, GUIDES, storeId === undefined ? {} : { where: { storeId } });
export const allCampaigns = (store: DocStore) => allDocs<CampaignDoc>(store, CAMPAIGNS);
