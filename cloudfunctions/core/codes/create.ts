import { WriteStream } from 'node:fs';
import { AppError } from '../runtime/errors';
import type { Services } from '../runtime/services';
import { StoreConflictError } from '../store/port';
import { linkOf } from '../scenes/scene';
import { batchIdFrom, batchSpecProblem, type BatchDoc, type BatchSpec } from './batch';
import { activateBatch, createBatchDoc, keyRevocation, withdrawBatch } from './batches.store';
import { batchSigner, canSignCodes, tagCharsFor, type CodeKey } from './code';

export interface CreateBatchInput extends BatchSpec {
  /** Opens where the scan URLs go, one per line (a file for the printer), once the batch is recorded (pending); ended when complete. */
  open(batch: BatchDoc): NodeJS.WritableStream;
  onProgress?(done: number, total: number): void;
  /** Called once every line is out, before the batch is activated: a throw withdraws the batch instead. */
  beforeActivate?(): void | Promise<void>;
}

const LINES_PER_CHUNK = 8192;
const ID_ATTEMPTS = 20;

/** The newest configured key that may sign: one code character, revoked neither in config nor by an operator. */
export async function signingKey(services: Services): Promise<CodeKey> {
  for (const key of services.secrets.codeKeys) {
    if (!canSignCodes(key) || services.config.codes.revokedKeys.includes(key.id)) continue;
    if (await keyRevocation(services.store, key.id)) continue;
    return key;
  }
  throw new AppError('UNAVAILABLE', 'no code key can sign: add a key (MC_CODE_KEYS, a one-character id) that is not revoked');
}

function write(out: NodeJS.WritableStream, chunk: string): Promise<void> {
  if (out.write(chunk)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      out.off('drain', done);
      out.off('error', done);
      if (error) reject(error);
      else resolve();
    };
    out.once('drain', done);
    out.once('error', done);
  });
}

/**
 * Ends the stream and waits until everything written has left. A file stream is waited for until
 * it closes: its end callback comes before the fsync a `flush: true` stream makes at closing, and
 * the batch must not be activated before its codes are on disk.
 */
function finish(out: NodeJS.WritableStream): Promise<void> {
  const file = out instanceof WriteStream;
  return new Promise((resolve, reject) => {
    out.once('error', reject);
    if (file) out.once('close', () => resolve());
    out.end((error?: Error | null) => (error ? reject(error) : file ? undefined : resolve()));
  });
}

/**
 * Records a batch and streams its scan URLs. The batch is `pending` while the
 * file is written and `active` once every line is out; if writing fails it is
 * revoked, so a half-printed run never scans. No document is written per code.
 * Throws INVALID_INPUT (bad spec), UNAVAILABLE (no signing key).
 */
export async function createBatch(services: Services, input: CreateBatchInput): Promise<BatchDoc> {
  const now = services.clock.now();
  const spec: BatchSpec = { sku: input.sku, name: input.name.trim(), points: input.points, count: input.count, validTo: input.validTo };
  const problem = batchSpecProblem(spec, services.config.codes.maxPoints, now);
  if (problem) throw new AppError('INVALID_INPUT', problem);
  const key = await signingKey(services);
  const tagChars = tagCharsFor(services.config.codes.tagBits);

  let batch: BatchDoc | null = null;
  for (let attempt = 0; !batch && attempt < ID_ATTEMPTS; attempt++) {
    const doc: BatchDoc = {
      _id: batchIdFrom(services.ids.next('cb')), ...spec, maxPoints: services.config.codes.maxPoints, keyId: key.id, tagChars, status: 'pending',
      createdAt: new Date(now).toISOString(), activatedAt: null, revokedAt: null,
    };
    try {
      await createBatchDoc(services, doc);
      batch = doc;
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
    }
  }
  if (!batch) throw new AppError('UNAVAILABLE', 'no free batch id: try again');

  const sign = batchSigner(key, batch._id, tagChars);
  const prefix = linkOf(services.config.brandDomain, 'c', '');
  try {
    const out = input.open(batch);
    const failure: { error?: Error } = {};
    out.on('error', (error: Error) => { failure.error = error; });
    for (let from = 1; from <= spec.count; from += LINES_PER_CHUNK) {
      const to = Math.min(spec.count, from + LINES_PER_CHUNK - 1);
      let chunk = '';
      for (let serial = from; serial <= to; serial++) chunk += `${prefix}${sign(serial)}\n`;
      if (failure.error) throw failure.error;
      await write(out, chunk);
      input.onProgress?.(to, spec.count);
    }
    await finish(out);
    await input.beforeActivate?.();
  } catch (error) {
    await withdrawBatch(services, batch._id);
    throw error;
  }
  const activated = await activateBatch(services, batch._id);
  if ('keyRevoked' in activated) {
    throw new AppError('UNAVAILABLE', `key ${activated.keyRevoked} was revoked while the batch was written: it is withdrawn; run the command again to sign a new batch with the next key`);
  }
  if ('notPending' in activated) throw new AppError('CONFLICT', `batch ${batch._id} was revoked while it was written: none of its codes will scan`);
  return activated.batch;
}
