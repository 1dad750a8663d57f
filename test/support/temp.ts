import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh folder under the OS temp dir, removed by the returned cleanup. */
export function tempDir(prefix = 'mc-test-'): { dir: string; file(name: string): string; write(name: string, text: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = (name: string) => join(dir, name);
  return {
    dir,
    file,
    /** Writes `text` to a file in the folder and returns its path. */
    write: (name, text) => {
      writeFileSync(file(name), text);
      return file(name);
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
