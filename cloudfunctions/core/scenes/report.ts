import type { RecordDoc } from '../identity/graph.store';
import { liveMember, type Getter } from '../identity/lookup';
import type { Services } from '../runtime/services';
import type { GuideDoc, StoreDoc } from './places';
import { isChannelCard, type AttributionDoc } from './attribution';
import { ATTRIBUTIONS } from './attributions.store';
import { allDocs } from '../store/all-docs';
import { GUIDES, STORES } from './places.store';
import { BEIJING_OFFSET_MS } from '../points/time';

interface Counts {
  /** New members: the brand knew them in no channel before. */
  recruited: number;
  /** Members of another channel (Tmall, store, JD…) who came into the mini-program through them. */
  alreadyMembers: number;
}

export interface RecruitReport {
  stores: (Counts & {
    storeId: string;
    name: string;
    /** Members whose first touch was this store or one of its guides. */
    guides: (Counts & { guideId: string; name: string; status: GuideDoc['status'] })[];
  })[];
  /** New members first touched through any store or guide. */
  total: number;
  /** Channel members first touched through any store or guide. */
  alreadyMembers: number;
}

/** What the report keeps of a person's recruiting join. */
interface Recruit {
  at: string;
  storeId: string | null;
  guideId: string | null;
  alreadyMember: boolean;
}

/**
 * 53 bits of a phone's keyed hash, as a number: a million phones held as strings added some
 * 200 MB to the report; two phones of a million share a tag once in some 20,000 reports, and
 * would then count as one person.
 */
function phoneTag(phoneKey: string): number {
  // eight base64url characters (48 bits) and five bits of the ninth, read without a Buffer per phone
  let tag = 0;
  for (let i = 0; i < 8; i++) tag = tag * 64 + (BASE64URL_VALUE[phoneKey.charCodeAt(i)] ?? 0);
  return tag * 32 + ((BASE64URL_VALUE[phoneKey.charCodeAt(8)] ?? 0) >> 1);
}

const BASE64URL_VALUE = (() => {
  const values = new Array<number>(128).fill(0);
  [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].forEach((c, i) => (values[c.charCodeAt(0)] = i));
  return values;
})();

/** A card's joining time before the join: a day alone (a Beijing midnight, as a date-only export reads) counts only on an earlier day. */
function cardBefore(joined: string, at: string): boolean {
  const ms = Date.parse(joined);
  const day = (t: number) => Math.floor((t + BEIJING_OFFSET_MS) / 86_400_000);
  if ((ms + BEIJING_OFFSET_MS) % 86_400_000 === 0) return day(ms) < day(Date.parse(at));
  return joined < at;
}

/** Whether one of the member's channel cards says the person had joined that channel before `at` (a card imported after the join included). */
async function heldCardBefore(get: Getter, records: string[], at: string): Promise<boolean> {
  for (const id of records.filter(isChannelCard)) {
    const card = await get<RecordDoc>('records', id);
    if (card && cardBefore(card.joinedAt ?? card.createdAt, at)) return true;
  }
  return false;
}

/**
 * Members recruited per store and per guide (the operator's `report guides`), counted from the
 * first touches themselves (`attributions`: one document per WeChat record that joined). A person
 * counts once: each first touch is followed through its WeChat record to the member it is in now
 * (a merge or an unmerge moves records), members merged since are one (their earliest recruiting
 * join), and WeChat accounts that bound one phone are one person also when they are members of
 * their own (the phone set aside as shared once a fourth bound it); a member erased since counts
 * no more; a join by a member of longer standing recruits no one. Already members are
 * those with a channel card (Tmall, store, JD…) that joined its channel before the join, known then or
 * imported since. It reads each attribution's record and member (and its cards, for those not known as
 * members of another channel then) and keeps a few fields per person: on SQLite, 20 s and 250 MB a million, a third with a card (bench/report.ts). Most recruits first.
 */
export async function recruitReport(services: Services): Promise<RecruitReport> {
  const get: Getter = services.store.get.bind(services.store);
  // the earliest recruiting join of each person, under the id of a member they are: WeChat
  // accounts that bound one phone are one person also when they are members of their own (the
  // phone set aside as shared), so a member found to share a phone with another person's member
  // joins them (`sameAs`, rare: a phone no one set aside is held by one member)
  const firstOf = new Map<string, Recruit>();
  const personOfPhone = new Map<number, string>();
  const sameAs = new Map<string, string>();
  const personOf = (memberId: string) => {
    let person = memberId;
    for (let next = sameAs.get(person); next !== undefined; next = sameAs.get(person)) person = next;
    return person;
  };
  for await (const attribution of allDocs<AttributionDoc>(services.store, ATTRIBUTIONS)) {
    if (attribution.recruit === false) continue;
    const record = await get<RecordDoc>('records', attribution.recordId);
    const member = record ? await liveMember(get, record.memberId) : null;
    if (!record || !member) continue;
    let person = personOf(member._id);
    for (const phone of record.identifiers.filter((i) => i.type === 'phone')) {
      const key = phoneTag(phone.value);
      const known = personOfPhone.get(key);
      if (known === undefined) {
        personOfPhone.set(key, person);
        continue;
      }
      const theirs = personOf(known);
      if (theirs === person) continue;
      // two people found to be one: the earlier join stands
      sameAs.set(person, theirs);
      const mine = firstOf.get(person);
      firstOf.delete(person);
      const held = firstOf.get(theirs);
      if (mine && (!held || mine.at < held.at)) firstOf.set(theirs, mine);
      person = theirs;
    }
    const held = firstOf.get(person);
    if (held && held.at <= attribution.at) continue;
    // a card known at the join counts while the member still holds it (an unmerge takes a wrongly merged one away)
    const knownThen = attribution.cards ? attribution.cards.some((id) => member.records.includes(id)) : attribution.alreadyMember === true && member.records.some(isChannelCard);
    const alreadyMember = knownThen || (await heldCardBefore(get, member.records, attribution.at));
    firstOf.set(person, { at: attribution.at, storeId: attribution.storeId, guideId: attribution.guideId, alreadyMember });
  }
  const byStore = new Map<string, Counts>();
  const byGuide = new Map<string, Counts>();
  const add = (counts: Map<string, Counts>, id: string | null, already: boolean) => {
    if (!id) return;
    let c = counts.get(id);
    if (!c) counts.set(id, (c = { recruited: 0, alreadyMembers: 0 }));
    if (already) c.alreadyMembers++;
    else c.recruited++;
  };
  for (const attribution of firstOf.values()) {
    add(byStore, attribution.storeId, attribution.alreadyMember === true);
    add(byGuide, attribution.guideId, attribution.alreadyMember === true);
  }
  const none: Counts = { recruited: 0, alreadyMembers: 0 };
  const stores: RecruitReport['stores'] = [];
  for await (const shop of allDocs<StoreDoc>(services.store, STORES)) {
    const guides: RecruitReport['stores'][number]['guides'] = [];
    for await (const guide of allDocs<GuideDoc>(services.store, GUIDES, { where: { storeId: shop._id } })) {
      guides.push({ guideId: guide._id, name: guide.name, status: guide.status, ...(byGuide.get(guide._id) ?? none) });
    }
    guides.sort((a, b) => b.recruited - a.recruited || b.alreadyMembers - a.alreadyMembers || a.guideId.localeCompare(b.guideId));
    stores.push({ storeId: shop._id, name: shop.name, ...(byStore.get(shop._id) ?? none), guides });
  }
  stores.sort((a, b) => b.recruited - a.recruited || b.alreadyMembers - a.alreadyMembers || a.storeId.localeCompare(b.storeId));
  return { stores, total: stores.reduce((sum, s) => sum + s.recruited, 0), alreadyMembers: stores.reduce((sum, s) => sum + s.alreadyMembers, 0) };
}
