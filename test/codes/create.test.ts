import * as fs from 'node:fs';
import { createBatch } from '../../cloudfunctions/core/codes/create';
import { openTestServices, type TestServices } from '../support/services';
import { tempDir } from '../support/temp';

let services: TestServices;
afterEach(() => services.close());

describe('codes create: the part-file is on disk before the batch is activated', () => {
  beforeEach(() => { services = openTestServices(); });

  test('a stream made as cli.ts makes it (flush: true) is fsynced before createBatch activates the batch', async () => {
    const temp = tempDir('mc-review-');
    try {
      const part = temp.file('codes.txt.part');
      let synced = false;
      let activeBeforeSync: boolean | null = null;
      // the real fs, its fsync only observed (and slowed down as a busy disk is)
      const observed = {
        ...fs,
        fsync: (fd: number, cb: (error: NodeJS.ErrnoException | null) => void) => {
          void services.store.get<{ _id: string; status: string }>('codeBatches', batchId!).then((doc) => { activeBeforeSync = doc?.status === 'active'; });
          setTimeout(() => fs.fsync(fd, (error) => { synced = true; cb(error); }), 200);
        },
      };
      let batchId: string | null = null;
      await createBatch(services, {
        sku: 'S1', name: '面霜', points: 10, count: 100, validTo: null,
        open: (pending) => {
          batchId = pending._id;
          const fd = fs.openSync(part, 'w', 0o600);
          return fs.createWriteStream('', { fd, flush: true, fs: observed } as Parameters<typeof fs.createWriteStream>[1]);
        },
      });
      // docs/codes-and-scenes.md (Writing the printer's file): "The lines go to F.part, flushed to disk, and the file is renamed to F once its batch is active";
      // cli.ts: "flush: on disk before the batch is activated, so a power cut then cannot leave an active batch beside a cut-off file"
      expect(synced).toBe(true);
      expect(activeBeforeSync).toBe(false);
    } finally {
      await new Promise((resolve) => setTimeout(resolve, 300));
      temp.cleanup();
    }
  });
});
