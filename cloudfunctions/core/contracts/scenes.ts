import * as z from 'zod/mini';
import { asciiField, requestIdField } from './codes';

/** Events and answers of the `scenes` cloud function. */

/** `scene` as the page got it (`g=…`, `s=…`, `p=…`, maybe URL-encoded), or `q`, the link WeChat's scanner opened it with. */
const sceneOrLink = {
  scene: z.optional(asciiField(96)),
  q: z.optional(asciiField(512)),
};
const exactlyOne = z.refine<{ scene?: string; q?: string }>((event) => (event.scene === undefined) !== (event.q === undefined), 'give either scene or q');

const id = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,30}$/));

export const scenesResolve = {
  input: z.object({ action: z.literal('resolve'), ...sceneOrLink }).check(exactlyOne),
  output: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('guide'), guideId: z.string(), guideName: z.string(), storeId: z.string(), storeName: z.string() }),
    z.object({ kind: z.literal('store'), storeId: z.string(), storeName: z.string() }),
    z.object({ kind: z.literal('packageCard'), campaignId: z.string(), campaignName: z.string(), platform: z.string(), bonus: z.number(), ended: z.boolean() }),
    z.object({ kind: z.literal('product'), code: z.string(), sku: z.string(), name: z.string(), points: z.number() }),
  ]),
};

export const scenesJoin = {
  input: z.object({ action: z.literal('join'), ...sceneOrLink }).check(exactlyOne),
  output: z.object({
    attributed: z.boolean(),
    kind: z.enum(['guide', 'store', 'packageCard', 'product']),
    storeId: z.nullable(z.string()),
    guideId: z.nullable(z.string()),
    campaignId: z.nullable(z.string()),
    at: z.string(),
  }),
};

export const scenesBindOrder = {
  input: z.object({
    action: z.literal('bindOrder'),
    /** The order channel, as orders are imported (`tmall`). */
    platform: z.string().check(z.regex(/^[a-z][a-z0-9]{1,15}$/)),
    orderId: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/)),
    /** The card's campaign (`p=` of its scene); defaults to the member's first-touch campaign. */
    campaignId: z.optional(id),
    /** The page's id for this attempt, kept across its retries (see codes.redeem). */
    requestId: z.optional(requestIdField),
  }),
  /** `boundAt`: when the order was bound; binding it again answers the first binding's time, `repeated` unless from the attempt that bound it. */
  output: z.object({ platform: z.string(), orderId: z.string(), campaignId: z.string(), points: z.number(), available: z.number(), boundAt: z.string(), repeated: z.boolean() }),
};

export type ScenesResolveResult = z.infer<typeof scenesResolve.output>;
export type ScenesJoinResult = z.infer<typeof scenesJoin.output>;
export type ScenesBindOrderResult = z.infer<typeof scenesBindOrder.output>;
