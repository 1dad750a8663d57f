import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import defaults from '../../../config/member-centre.json';
import { levelsConfigSchema, pointsConfigSchema } from '../points/config';
import { codesConfigSchema } from '../codes/config';

/**
 * The brand's rules. Defaults live in config/member-centre.json (bundled into
 * each cloud function); `MC_CONFIG` names a JSON file whose fields replace them
 * (read when the cloud functions are built, for them).
 */
/** The longest a member code may live: a till refuses one expiring further ahead (identity/member-code.ts). */
export const MAX_MEMBER_CODE_TTL_SECONDS = 600;

export const configSchema = z.object({
  termsVersion: z.string().check(z.minLength(1)),
  brandDomain: z.string().check(z.minLength(1)),
  /** The brand as the pages name it on the card and the invitation (built into the pages). */
  brandName: z.string().check(z.minLength(1), z.maxLength(16)),
  identity: z.object({
    /** A value on more than this many records of one channel is shared, never a join key. */
    quarantineThreshold: z.number().check(z.int(), z.minimum(1)),
    /** Most distinct values of a type one member may hold. */
    limits: z.record(z.string(), z.number().check(z.int(), z.minimum(1))),
    /** Identifier types in the order their joins are tried. */
    priority: z.array(z.string()),
    /** Test and placeholder numbers that never join anyone. */
    blockedPhones: z.array(z.string()),
    /** Wrong last-four tries before linking a store card is locked for a day. */
    offlineLinkMaxTries: z.number().check(z.int(), z.minimum(1)),
    memberCodeTtlSeconds: z.number().check(z.int(), z.minimum(10), z.maximum(MAX_MEMBER_CODE_TTL_SECONDS)),
  }),
  /** Earning rates per channel and the expiry rule (points/config.ts). */
  points: pointsConfigSchema,
  /** Levels by growth, ascending (points/config.ts). */
  levels: levelsConfigSchema,
  /** One-item-one-code: tag length, invalid-scan limit, revoked keys (codes/config.ts). Scan URLs are https://<brandDomain>/c/<code>. */
  codes: codesConfigSchema,
});

export type Config = z.infer<typeof configSchema>;

/**
 * In a cloud function bundle, the `MC_CONFIG` file it was built with (`{}` without one), put in by
 * scripts/build-functions.ts: the cloud has no such file to read at run time. Undefined elsewhere.
 */
declare const MC_BUILT_CONFIG: Partial<Config> | undefined;
const builtConfig = typeof MC_BUILT_CONFIG === 'undefined' ? undefined : MC_BUILT_CONFIG;

/** The `MC_CONFIG` file's fields: read at run time locally, built in for the cloud. */
export function configFile(env: NodeJS.ProcessEnv = process.env): Partial<Config> {
  if (builtConfig) return builtConfig;
  return env.MC_CONFIG ? (JSON.parse(readFileSync(env.MC_CONFIG, 'utf8')) as Partial<Config>) : {};
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const fromFile = configFile(env);
  const parsed = configSchema.safeParse({ ...defaults, ...fromFile, ...overrides });
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new Error(`invalid member-centre config: ${fields}`);
  }
  return parsed.data;
}
