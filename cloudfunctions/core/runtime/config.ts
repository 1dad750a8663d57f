import { readFileSync } from 'node:fs';
import * as z from 'zod/mini';
import defaults from '../../../config/member-centre.json';

/**
 * The brand's rules. Defaults live in config/member-centre.json (bundled into
 * each cloud function); `MC_CONFIG` names a JSON file whose fields replace them.
 */
export const configSchema = z.object({
  termsVersion: z.string().check(z.minLength(1)),
  brandDomain: z.string().check(z.minLength(1)),
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const fromFile = env.MC_CONFIG ? (JSON.parse(readFileSync(env.MC_CONFIG, 'utf8')) as Partial<Config>) : {};
  const parsed = configSchema.safeParse({ ...defaults, ...fromFile, ...overrides });
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new Error(`invalid member-centre config: ${fields}`);
  }
  return parsed.data;
}
