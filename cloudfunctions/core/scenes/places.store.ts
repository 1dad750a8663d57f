import { parseValidTo } from '../codes/batch';
import { AppError } from '../runtime/errors';
import type { Services } from '../runtime/services';
import { StoreConflictError, type DocStore } from '../store/port';
import { unknownChannelProblem } from '../identity/records';
import { bonusProblem, idProblem, nameProblem, type CampaignDoc, type GuideDoc, type StoreDoc } from './places';

/** Operator side of stores, guides and campaigns (the CLI calls these). */

export const STORES = 'stores';
export const GUIDES = 'guides';
export const CAMPAIGNS = 'campaigns';

const invalid = (problem: string | null) => {
  if (problem) throw new AppError('INVALID_INPUT', problem);
};

async function createOnce(services: Services, collection: string, doc: { _id: string }, what: string): Promise<void> {
  try {
    await services.store.transaction((tx) => tx.create(collection, doc));
  } catch (error) {
    if (error instanceof StoreConflictError) throw new AppError('CONFLICT', `${what} ${doc._id} already exists`);
    throw error;
  }
}

const nowIso = (services: Services) => new Date(services.clock.now()).toISOString();

/** Throws INVALID_INPUT, CONFLICT (the id is taken). */
export async function addStore(services: Services, input: { id?: string; name: string; city?: string }): Promise<StoreDoc> {
  const id = input.id ?? services.ids.next('s');
  invalid(idProblem(id) ?? nameProblem(input.name) ?? (input.city !== undefined ? nameProblem(input.city, 'city') : null));
  const doc: StoreDoc = { _id: id, name: input.name.trim(), city: input.city?.trim() ?? null, recruited: 0, createdAt: nowIso(services) };
  await createOnce(services, STORES, doc, 'store');
  return doc;
}

/** Throws INVALID_INPUT, NOT_FOUND (no such store), CONFLICT. */
export async function addGuide(services: Services, input: { id?: string; storeId: string; name: string }): Promise<GuideDoc> {
  const id = input.id ?? services.ids.next('g');
  invalid(idProblem(id) ?? nameProblem(input.name));
  if (!(await services.store.get<StoreDoc>(STORES, input.storeId))) throw new AppError('NOT_FOUND', `no store ${input.storeId}`);
  const doc: GuideDoc = { _id: id, name: input.name.trim(), storeId: input.storeId, status: 'active', recruited: 0, createdAt: nowIso(services) };
  await createOnce(services, GUIDES, doc, 'guide');
  return doc;
}

/** A guide who left recruits no more; their earlier recruits stay credited. Throws NOT_FOUND. */
export async function guideLeft(services: Services, guideId: string): Promise<GuideDoc> {
  return services.store.transaction(async (tx) => {
    const guide = await tx.get<GuideDoc>(GUIDES, guideId);
    if (!guide) throw new AppError('NOT_FOUND', `no guide ${guideId}`);
    await tx.update(GUIDES, guideId, { status: 'left' });
    return { ...guide, status: 'left' };
  });
}

/** Throws INVALID_INPUT, CONFLICT. */
export async function addCampaign(services: Services, input: { id?: string; name: string; platform: string; bonus: number; validTo?: string }): Promise<CampaignDoc> {
  const id = input.id ?? services.ids.next('p');
  const validTo = input.validTo === undefined ? null : parseValidTo(input.validTo);
  invalid(
    idProblem(id) ?? nameProblem(input.name) ?? bonusProblem(input.bonus)
      // the channel its orders are imported from: a card for any other could never bind one
      ?? unknownChannelProblem(input.platform, services.config.identity.priority)
      ?? (input.validTo !== undefined && !validTo ? `valid-to ${input.validTo} is not a date (YYYY-MM-DD)` : null)
      ?? (validTo && Date.parse(validTo) <= services.clock.now() ? `valid-to ${input.validTo} has passed: give a future date` : null),
  );
  const doc: CampaignDoc = {
    _id: id, name: input.name.trim(), platform: input.platform, bonus: input.bonus, validTo, joined: 0, bound: 0, createdAt: nowIso(services),
  };
  await createOnce(services, CAMPAIGNS, doc, 'campaign');
  return doc;
}

export const getStore = (store: DocStore, id: string) => store.get<StoreDoc>(STORES, id);
export const getGuide = (store: DocStore, id: string) => store.get<GuideDoc>(GUIDES, id);
export const getCampaign = (store: DocStore, id: string) => store.get<CampaignDoc>(CAMPAIGNS, id);

export async function* allDocs<T extends { _id: string }>(store: DocStore, collection: string, where: Record<string, string> = {}): AsyncGenerator<T> {
  let cursor: string | null = null;
  do {
    const page: { items: T[]; nextCursor: string | null } = await store.query<T & { [k: string]: unknown }>(collection, { where, limit: 500, cursor });
    yield* page.items;
    cursor = page.nextCursor;
  } while (cursor);
}
