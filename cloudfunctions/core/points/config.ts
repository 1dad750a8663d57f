import * as z from 'zod/mini';

const count = () => z.number().check(z.int(), z.minimum(0), z.maximum(1_000_000));

const earnRate = z.object({
  /** Points per whole yuan paid, per order. */
  pointsPerYuan: count(),
  /** Growth (level progress) per whole yuan paid, per order. */
  growthPerYuan: count(),
});

/** The `points` section of config/member-centre.json. */
export const pointsConfigSchema = z.object({
  earn: z.object({
    default: earnRate,
    /** Per channel (`tmall`, `offline`, ...); channels not listed use `default`. */
    channels: z.record(z.string(), earnRate),
  }),
  /**
   * Points expire at 23:59:59 Beijing time on 31 December of the year
   * `yearsAfterEarning` after the year they were earned; null: never.
   */
  expiry: z.nullable(z.object({ yearsAfterEarning: z.number().check(z.int(), z.minimum(0), z.maximum(50)) })),
});

/** How wide a name is on the card: a Chinese (or other full-width) character takes two, a letter or digit one. */
export const displayWidth = (text: string): number => [...text].reduce((width, c) => width + (c.codePointAt(0)! >= 0x2e80 ? 2 : 1), 0);

/**
 * The widest level name the cards have room for: on a 320 px phone the 积分 card's level pill sits
 * beside a balance of 999,999,999, and a name wider than 6 Chinese characters runs over the balance.
 */
export const LEVEL_NAME_WIDTH = 12;

const level = z.object({
  code: z.string().check(z.regex(/^[a-z][a-z0-9_]{0,19}$/)),
  // what the card shows: a name of spaces alone would show no level
  name: z.string().check(
    z.minLength(1),
    z.refine((name) => name.trim().length > 0, 'must not be blank'),
    z.refine((name) => displayWidth(name) <= LEVEL_NAME_WIDTH, `must fit the member card: at most 6 Chinese characters or ${LEVEL_NAME_WIDTH} letters`),
  ),
  // growth, not a rate: a member's reaches past a million (an opening of up to 1,000,000,000, a
  // brand earning 10 growth per yuan), so a threshold may lie as far as one ledger entry carries
  minGrowth: z.number().check(z.int(), z.minimum(0), z.maximum(1_000_000_000)),
});

/** The `levels` section: by growth, ascending, the first at 0, each code and name once. */
export const levelsConfigSchema = z.array(level).check(
  z.minLength(1),
  z.refine((levels) => levels[0]?.minGrowth === 0, 'the first level must start at growth 0'),
  z.refine((levels) => levels.every((l, i) => i === 0 || l.minGrowth > levels[i - 1]!.minGrowth), 'levels must be in ascending minGrowth'),
  // a level copied and left half edited: two tiers under one code are one level to members export,
  // points verify and relevel, and two under one name tell a silver member 再得 4,000 升级银卡
  z.superRefine((levels, ctx) => {
    for (const field of ['code', 'name'] as const) {
      const first = new Map<string, number>();
      levels.forEach((l, i) => {
        const value = field === 'name' ? l.name.trim() : l.code;
        const earlier = first.get(value);
        if (earlier !== undefined) ctx.issues.push({ code: 'custom', input: l[field], path: [i, field], message: `the same as levels.${earlier}.${field}: each level needs its own` });
        else first.set(value, i);
      });
    }
  }),
);

export type PointsConfig = z.infer<typeof pointsConfigSchema>;
export type LevelsConfig = z.infer<typeof levelsConfigSchema>;
export type EarnRate = z.infer<typeof earnRate>;

export const earnRateOf = (config: PointsConfig, channel: string): EarnRate => config.earn.channels[channel] ?? config.earn.default;
