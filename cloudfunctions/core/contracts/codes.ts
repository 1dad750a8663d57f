import * as z from 'zod/mini';

/** Events and answers of the `codes` cloud function. */

/** Printable ASCII only: a code or link with anything else is refused before any work. */
export const asciiField = (max: number) => z.string().check(z.minLength(1), z.maxLength(max), z.regex(/^[\x21-\x7e]+$/, 'printable ASCII only'));

/**
 * The page's id for one attempt, kept across its 重试: an answer to the attempt that made the
 * redemption is not `repeated`, even when it comes to a retry after a lost answer.
 */
export const requestIdField = z.string().check(z.regex(/^[A-Za-z0-9_-]{8,64}$/));

export const codesRedeem = {
  /** The code as typed or read by `Taro.scanCode` (`code`), or the page's `q` when WeChat's scanner opened it. */
  input: z
    .object({ action: z.literal('redeem'), code: z.optional(asciiField(40)), q: z.optional(asciiField(512)), requestId: z.optional(requestIdField) })
    .check(z.refine((event) => (event.code === undefined) !== (event.q === undefined), 'give either code or q')),
  /** `repeated`: this member had redeemed the code before, in another attempt than this `requestId` (the same code scanned again); nothing was added now. */
  output: z.object({ sku: z.string(), name: z.string(), points: z.number(), available: z.number(), redeemedAt: z.string(), repeated: z.boolean() }),
};

export type CodesRedeemResult = z.infer<typeof codesRedeem.output>;
