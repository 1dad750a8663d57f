import * as z from 'zod/mini';

/** The `codes` section of config/member-centre.json. */
export const codesConfigSchema = z.object({
  /** Tag length of new batches, in bits: a multiple of 5 from 60 to 100. Existing codes keep theirs. */
  tagBits: z.number().check(z.int(), z.minimum(60), z.maximum(100), z.multipleOf(5)),
  /** Invalid or already-used codes one caller may try in an hour; the next try answers RATE_LIMITED. */
  invalidPerHour: z.number().check(z.int(), z.minimum(1), z.maximum(10_000)),
  /** Key ids whose codes are refused even while their key is still configured. */
  revokedKeys: z.array(z.string().check(z.regex(/^[A-Z0-9]{1,2}$/))),
  /** How long a warm instance trusts its copy of a batch document (revocation takes at most this long). */
  batchCacheSeconds: z.number().check(z.int(), z.minimum(0), z.maximum(3600)),
  /** Most points one unit's code may carry. */
  maxPoints: z.number().check(z.int(), z.minimum(1), z.maximum(1_000_000)),
});

export type CodesConfig = z.infer<typeof codesConfigSchema>;
