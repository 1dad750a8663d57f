import * as z from 'zod/mini';

/** Events and answers of the `points` cloud function. */

const level = z.object({ code: z.string(), name: z.string() });

export const pointsSummary = {
  input: z.object({ action: z.literal('summary') }),
  output: z.object({
    /** Net points; negative when a refund took back points already spent (owed). */
    available: z.number(),
    /** What refunds took back beyond the points left: repaid by the next earnings. */
    owed: z.number(),
    /** The next expiry dates (ISO), soonest first, with how many points expire then. */
    expiring: z.array(z.object({ points: z.number(), at: z.string() })),
    growth: z.number(),
    level,
    nextLevel: z.nullable(z.object({ code: z.string(), name: z.string(), minGrowth: z.number(), growthNeeded: z.number() })),
  }),
};

export const HISTORY_MAX = 50;

export const pointsHistory = {
  input: z.object({
    action: z.literal('history'),
    /**
     * `nextCursor` of the previous page; absent or null for the newest. It carries an entry's key,
     * which an operator's request id (up to 193 characters, Chinese ones three bytes each) is part of.
     */
    cursor: z.optional(z.nullable(z.string().check(z.minLength(1), z.maxLength(2048)))),
    limit: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(HISTORY_MAX))),
  }),
  output: z.object({
    entries: z.array(
      z.object({
        /** Stable per entry, for list keys. */
        id: z.string(),
        kind: z.enum(['earn', 'redeem', 'expire', 'reverse', 'adjust', 'migrate', 'settle']),
        points: z.number(),
        growth: z.number(),
        at: z.string(),
        /** In Chinese: 天猫订单 123 消费得积分, 积分过期, ... */
        description: z.string(),
      }),
    ),
    nextCursor: z.nullable(z.string()),
  }),
};

export type PointsSummaryResult = z.infer<typeof pointsSummary.output>;
export type PointsHistoryResult = z.infer<typeof pointsHistory.output>;
export type PointsHistoryEntry = PointsHistoryResult['entries'][number];
