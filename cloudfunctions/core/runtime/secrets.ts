import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Keys the core needs, never in code or config. Production reads them from the
 * cloud function's environment variables; the dev runtime makes its own once
 * and keeps them beside its database (`.data/secrets.json`, never committed).
 */
export interface Secrets {
  /** HMAC key for phone lookups: HMAC-SHA256(key, sha256(phone)). 32 bytes. */
  phoneHashKey: Buffer;
  /** AES-256-GCM key for the few places that need a phone in clear. 32 bytes. */
  phoneEncKey: Buffer;
  /** HMAC key for member-code tokens shown at the till. 32 bytes. */
  memberCodeKey: Buffer;
  /** Product-code tag keys by key id (one or two characters); the first listed signs new batches. */
  codeKeys: { id: string; key: Buffer }[];
}

const ENV = {
  phoneHashKey: 'MC_PHONE_HASH_KEY',
  phoneEncKey: 'MC_PHONE_ENC_KEY',
  memberCodeKey: 'MC_MEMBER_CODE_KEY',
  codeKeys: 'MC_CODE_KEYS',
} as const;

function key32(name: string, base64: string | undefined): Buffer {
  const key = Buffer.from(base64 ?? '', 'base64');
  if (key.length !== 32) throw new Error(`${name} must be 32 bytes, base64-encoded`);
  return key;
}

/** `MC_CODE_KEYS="k2:BASE64,k1:BASE64"`: id, colon, key; newest first. */
function parseCodeKeys(value: string | undefined): Secrets['codeKeys'] {
  const entries = (value ?? '').split(',').map((part) => part.trim()).filter(Boolean);
  if (entries.length === 0) throw new Error(`${ENV.codeKeys} must list at least one key`);
  const keys = entries.map((entry) => {
    const [id, base64] = entry.split(':');
    if (!id || !/^[A-Z0-9]{1,2}$/.test(id)) throw new Error(`${ENV.codeKeys}: key ids are 1-2 characters A-Z 0-9`);
    return { id, key: key32(`${ENV.codeKeys} ${id}`, base64) };
  });
  // a code names its key by id and is checked against the first key of that id alone: a new key
  // given an old key's id would leave every code of the old batches refused as a fake
  const repeated = keys.find((k, i) => keys.findIndex((other) => other.id === k.id) !== i);
  if (repeated) throw new Error(`${ENV.codeKeys}: key id ${repeated.id} is listed twice; give a new key a new id`);
  return keys;
}

export function secretsFromEnv(env: NodeJS.ProcessEnv = process.env): Secrets {
  const secrets = {
    phoneHashKey: key32(ENV.phoneHashKey, env[ENV.phoneHashKey]),
    phoneEncKey: key32(ENV.phoneEncKey, env[ENV.phoneEncKey]),
    memberCodeKey: key32(ENV.memberCodeKey, env[ENV.memberCodeKey]),
    codeKeys: parseCodeKeys(env[ENV.codeKeys]),
  };
  // every till holds the member-code key: were it also another key, a till could mint product codes,
  // reverse phone hashes or open sealed phones (the error names the variables, never a value)
  const others: [string, Buffer][] = [[ENV.phoneHashKey, secrets.phoneHashKey], [ENV.phoneEncKey, secrets.phoneEncKey], ...secrets.codeKeys.map((k): [string, Buffer] => [`${ENV.codeKeys} ${k.id}`, k.key])];
  const same = others.find(([, key]) => key.equals(secrets.memberCodeKey));
  if (same) throw new Error(`${ENV.memberCodeKey} is the same key as ${same[0]}: the tills hold it, so it must be a key of its own (make a new one and give it to the tills)`);
  return secrets;
}

/**
 * Writes a new keys file whole under its name, unless one is there already. Two runs starting a
 * database at once (two imports of the same file) both find none: the second to finish writing must
 * not replace the first's keys, with which that run hashes its phones (the database would then hold
 * phones no key left finds). Written aside and linked to its name, which fails where a file is: the
 * other run's keys are then read, never a half-written file.
 */
function createOnce(file: string, text: string): void {
  const aside = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.new`;
  try {
    writeFileSync(aside, text, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    // one written in part (a full disk) holds part of the keys: not left behind
    rmSync(aside, { force: true });
    throw error;
  }
  try {
    linkSync(aside, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    // a file system without hard links: created only where none is, at least
    try {
      writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
    } catch (fallback) {
      if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return;
      // created here (none was, or the exclusive open would have said so) and written in part (a
      // full disk): not left to be read as the database's keys, lost, by the next run
      rmSync(file, { force: true });
      throw fallback;
    }
  } finally {
    rmSync(aside, { force: true });
  }
}

/** What to do about a dev secrets file that cannot be used. */
const RESTORE_SECRETS = 'put back the secrets.json that was beside the database (a backup of it), since new keys would no longer find its members';

/**
 * The environment's secrets when set, else the dev runtime's own, created on first use. The
 * product-code keys alone may come from the environment over the file's (`MC_CODE_KEYS`): an
 * operator rotates them there, a new key first (docs/codes-and-scenes.md, Keys).
 */
export function devSecrets(file: string, env: NodeJS.ProcessEnv = process.env, { existingData }: { existingData?: string } = {}): Secrets {
  if (env[ENV.phoneHashKey]) return secretsFromEnv(env);
  if (!existsSync(file)) {
    // A database copied or moved without its keys: fresh ones would hash the same phones differently,
    // so members already there would no longer be found, and sealed phones could not be opened.
    if (existingData) {
      throw new Error(`${existingData} holds data but there is no ${file} beside it: copy the secrets.json that was next to the database originally (or set the MC_* keys), so its phone hashes still match`);
    }
    const fresh = () => randomBytes(32).toString('base64');
    const values = { [ENV.phoneHashKey]: fresh(), [ENV.phoneEncKey]: fresh(), [ENV.memberCodeKey]: fresh(), [ENV.codeKeys]: `A:${fresh()}` };
    mkdirSync(dirname(file), { recursive: true });
    createOnce(file, `${JSON.stringify(values, null, 2)}\n`);
  }
  let values: unknown;
  try {
    values = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`${file} cannot be read as the database's keys (${error instanceof Error ? error.message : String(error)}): ${RESTORE_SECRETS}`);
  }
  if (!values || typeof values !== 'object' || Array.isArray(values)) {
    throw new Error(`${file} holds no keys (it is not a JSON object): ${RESTORE_SECRETS}`);
  }
  // the environment's code keys, checked on their own (an error names MC_CODE_KEYS), stand in for the file's
  const codeKeys = env[ENV.codeKeys];
  if (codeKeys) parseCodeKeys(codeKeys);
  // the file's own code keys, edited by an operator rotating them: a mistake there is theirs to put right, not a lost file
  const fileKeys = (values as Record<string, unknown>)[ENV.codeKeys];
  if (!codeKeys && typeof fileKeys === 'string' && fileKeys.trim()) {
    try {
      parseCodeKeys(fileKeys);
    } catch (error) {
      throw new Error(`${file}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  try {
    return secretsFromEnv({ ...(values as NodeJS.ProcessEnv), ...(codeKeys ? { [ENV.codeKeys]: codeKeys } : {}) });
  } catch (error) {
    throw new Error(`${file} holds no usable keys (${error instanceof Error ? error.message : String(error)}): ${RESTORE_SECRETS}`);
  }
}
