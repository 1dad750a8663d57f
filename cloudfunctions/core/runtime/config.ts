import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import defaults from '../../../config/member-centre.json';
import { levelsConfigSchema, pointsConfigSchema } from '../points/config';
import { codesConfigSchema } from '../codes/config';
import { describeIssues } from './issues';
import { normalizePhone } from '../identity/normalize';

/**
 * The brand's rules. Defaults live in config/member-centre.json (bundled into
 * each cloud function); `MC_CONFIG` names a JSON file whose fields replace them
 * (read when the cloud functions are built, for them).
 */
/** The longest a member code may live: a till refuses one expiring further ahead (identity/member-code.ts). */
export const MAX_MEMBER_CODE_TTL_SECONDS = 600;

/** A host name alone: scan links are `https://<brandDomain>/c/<code>`, printed by the million. */
const HOST = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/i;

// strict: a misspelt section (`level`) would otherwise be dropped and the defaults run in its place
export const configSchema = z.strictObject({
  termsVersion: z.string().check(z.minLength(1)),
  brandDomain: z.string().check(z.regex(HOST, 'must be a host name such as mc.example.com, without https:// or a path')),
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
    blockedPhones: z.array(z.string().check(z.refine((phone) => normalizePhone(phone) !== null, 'not a mainland mobile, so it would block nothing'))),
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
}).check(
  // a rate or a limit keyed by a misspelt channel (`tmal`) would silently leave that channel on the defaults
  z.superRefine((config, ctx) => {
    const known = new Set(config.identity.priority);
    const keyed: [string, Record<string, unknown>][] = [['identity.limits', config.identity.limits], ['points.earn.channels', config.points.earn.channels]];
    for (const [where, record] of keyed) {
      for (const type of Object.keys(record)) {
        if (!known.has(type)) ctx.issues.push({ code: 'custom', input: type, path: [...where.split('.'), type], message: 'not a type listed in identity.priority' });
      }
    }
  }),
);

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
  if (!env.MC_CONFIG) return {};
  try {
    return JSON.parse(readFileSync(env.MC_CONFIG, 'utf8')) as Partial<Config>;
  } catch (error) {
    throw new Error(`MC_CONFIG=${env.MC_CONFIG}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const fromFile = configFile(env);
  const parsed = configSchema.safeParse({ ...defaults, ...fromFile, ...overrides });
  if (!parsed.success) {
    // what is wrong as well as where: `levels` alone does not say they are out of order
    throw new Error(`invalid member-centre config: ${describeIssues(parsed.error.issues, '(top level)')}`);
  }
  return parsed.data;
}
