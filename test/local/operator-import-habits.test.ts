import { execFile } from 'node:child_process';
import fs, { readFileSync, statSync } from 'node:fs';
import { devSecrets } from '../../cloudfunctions/core/runtime/secrets';
import { fixedClock } from '../../cloudfunctions/core/runtime/clock';
import { cliOnFreshDatabase } from '../support/cli';
import { tempDir } from '../support/temp';

/**
 * Review 39: the imports as an operator used to millions of rows runs them: the wrong path, a folder,
 * an empty file, a header alone, stdin, and two runs of the same file at once on a database not
 * there yet.
 */
describe('an operator\'s import habits', () => {
  const fresh = cliOnFreshDatabase(fixedClock('2026-11-23T02:00:00Z'));
  afterEach(() => jest.restoreAllMocks());

  /** A refusal: failed, one line, no stack trace, nothing printed as an answer, no database left. */
  async function refusedInOneLine(...args: string[]): Promise<string> {
    const run = await fresh.run(...args);
    expect(run.failed).toBe(true);
    const lines = run.err.trim().split('\n');
    expect({ args, lines: lines.length }).toEqual({ args, lines: 1 });
    expect(run.err).not.toMatch(/\n\s+at /);
    expect(run.out).toBe('');
    expect(fs.existsSync(fresh.db)).toBe(false);
    return lines[0]!;
  }

  it('a wrong path, a folder, an empty file and `-` are each refused in one line, starting no database', async () => {
    for (const command of ['members', 'orders']) {
      expect(await refusedInOneLine('import', command, '--channel', 'tmall', '--file', fresh.temp.file('nope.csv'))).toMatch(/no file .*nope\.csv/);
      fs.mkdirSync(fresh.temp.file('folder.csv'), { recursive: true });
      expect(await refusedInOneLine('import', command, '--channel', 'tmall', '--file', fresh.temp.file('folder.csv'))).toMatch(/folder\.csv is not a file/);
      expect(await refusedInOneLine('import', command, '--channel', 'tmall', '--file', fresh.temp.write('empty.csv', ''))).toMatch(/has no header row \(is it empty\?\); nothing was imported/);
      // stdin is not read (docs/imports.md names files alone): `-` is a file that is not there
      expect(await refusedInOneLine('import', command, '--channel', 'tmall', '--file', '-')).toMatch(/^no file -$/);
    }
  });

  it('an empty JSON lines file is refused as an empty CSV is, not imported as a file of no rows that starts a database', async () => {
    for (const command of ['members', 'orders']) {
      for (const text of ['', '\n\n', '\ufeff\r\n']) {
        expect(await refusedInOneLine('import', command, '--channel', 'tmall', '--file', fresh.temp.write('empty.jsonl', text))).toMatch(/empty\.jsonl holds no JSON lines \(is it empty\?\); nothing was imported$/);
      }
    }
    // a file of JSON lines, blank lines around them, is read
    const run = await fresh.cli('import', 'members', '--channel', 'tmall', '--file', fresh.temp.write('m.jsonl', '\n{"channelMemberId":"T1"}\n\n'));
    expect(run.out).toMatch(/^read 1 row in /);
  });

  it('a JSON lines file of blank lines alone larger than the head read to judge it is refused as a small one is', async () => {
    // past the 64 KiB head checkImportFile reads first: spaces, CRLFs, an ideographic space and a BOM-like no-break space
    const blank = `\ufeff${'   \r\n'.repeat(20_000)}\u3000\n${'\n'.repeat(70_000)}\ufeff  \n`;
    expect(Buffer.byteLength(blank)).toBeGreaterThan(128 * 1024);
    for (const command of ['members', 'orders']) {
      for (const name of ['big.jsonl', 'big.ndjson']) {
        expect(await refusedInOneLine('import', command, '--channel', 'tmall', '--file', fresh.temp.write(name, blank)))
          .toMatch(new RegExp(`${name.replace('.', '\\.')} holds no JSON lines \\(is it empty\\?\\); nothing was imported$`));
      }
    }
    // one JSON line far past the head is read
    const run = await fresh.cli('import', 'members', '--channel', 'tmall', '--file', fresh.temp.write('late.jsonl', `${'\n'.repeat(100_000)}{"channelMemberId":"T1"}\n`));
    expect(run.out).toMatch(/^read 1 row in /);
  });

  it('a file this user may not read is refused in one line saying so, starting no database', async () => {
    const file = fresh.temp.write('theirs.csv', 'channelMemberId\nT1\n');
    // as a file root copied in with mode 600 opens for another user (the tests may run as root, who reads anything)
    const openSync = fs.openSync;
    jest.spyOn(fs, 'openSync').mockImplementation(((path: fs.PathLike, ...rest: unknown[]) => {
      if (path === file) throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
      return (openSync as (p: fs.PathLike, ...r: unknown[]) => number)(path, ...rest);
    }) as typeof fs.openSync);
    for (const command of ['members', 'orders']) {
      expect(await refusedInOneLine('import', command, '--channel', 'tmall', '--file', file)).toBe(
        `cannot read ${file}: this user may not read it (its owner or mode); nothing was imported: give this user read access (chmod o+r, or chown) and import it again`,
      );
    }
  });

  it('a file macOS keeps from the terminal (Downloads, Desktop: EPERM, not EACCES) is refused in one line as one this user may not read', async () => {
    const file = fresh.temp.write('downloaded.csv', 'channelMemberId\nT1\n');
    const openSync = fs.openSync;
    jest.spyOn(fs, 'openSync').mockImplementation(((path: fs.PathLike, ...rest: unknown[]) => {
      if (path === file) throw Object.assign(new Error(`EPERM: operation not permitted, open '${file}'`), { code: 'EPERM' });
      return (openSync as (p: fs.PathLike, ...r: unknown[]) => number)(path, ...rest);
    }) as typeof fs.openSync);
    // chmod changes nothing there: the way in is the Mac's own setting, or another folder
    expect(await refusedInOneLine('import', 'members', '--channel', 'tmall', '--file', file)).toBe(
      `cannot read ${file}: the system does not let this program read it; nothing was imported: on a Mac, allow the terminal in System Settings > Privacy & Security > Files and Folders (or Full Disk Access), or move the file out of Desktop, Documents or Downloads, and import it again`,
    );
  });

  it('a file in a folder this user may not open is refused in one line saying so, starting no database', async () => {
    const file = fresh.temp.write('theirs-locked.csv', 'channelMemberId\nT1\n');
    // as a folder of another user's with mode 700 looks to this one (the tests may run as root, who opens anything)
    const statSync = fs.statSync;
    jest.spyOn(fs, 'statSync').mockImplementation(((path: fs.PathLike, ...rest: unknown[]) => {
      if (path === file) throw Object.assign(new Error(`EACCES: permission denied, stat '${file}'`), { code: 'EACCES' });
      return (statSync as (p: fs.PathLike, ...r: unknown[]) => fs.Stats)(path, ...rest);
    }) as typeof fs.statSync);
    for (const command of ['members', 'orders']) {
      expect(await refusedInOneLine('import', command, '--channel', 'tmall', '--file', file)).toBe(
        `cannot read ${file}: this user may not open a folder it is in; nothing was imported: give this user access to each folder on the way (chmod o+x) and import it again`,
      );
    }
  });

  it('a header alone is read as a file of no rows, with a CRLF or a BOM too', async () => {
    for (const text of ['channelMemberId,phone\n', '\ufeffchannelMemberId,phone\r\n', 'channelMemberId,phone\r\n\r\n']) {
      const run = await fresh.cli('import', 'members', '--channel', 'tmall', '--file', fresh.temp.write('header.csv', text));
      expect(run.out).toMatch(/^read 0 rows in /);
    }
  });

  describe('the keys of a database started by two runs at once', () => {
    let temp: ReturnType<typeof tempDir>;
    beforeEach(() => { temp = tempDir(); });
    afterEach(() => temp.cleanup());

    it('a run that found no keys and makes them keeps those another run wrote meanwhile, instead of replacing them', () => {
      const file = temp.file('secrets.json');
      const first = devSecrets(file, {});
      const written = readFileSync(file, 'utf8');
      // the second run looked before the first wrote its keys: it saw none
      const existsSync = fs.existsSync;
      jest.spyOn(fs, 'existsSync').mockImplementation((path) => (path === file ? false : existsSync(path)));
      const second = devSecrets(file, {});
      jest.restoreAllMocks();
      // one set of keys for both: the phones either run hashed are found by the other, and by every later run
      expect(second.phoneHashKey.equals(first.phoneHashKey)).toBe(true);
      expect(second.phoneEncKey.equals(first.phoneEncKey)).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(written);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      // and it leaves nothing of its own beside them
      expect(fs.readdirSync(temp.dir)).toEqual(['secrets.json']);
    });

    it('keys that cannot be written whole (a full disk) leave no part-written copy of them beside the database', () => {
      const file = temp.file('secrets.json');
      const writeFileSync = fs.writeFileSync;
      // the disk fills as the keys are written: some of them reach the file, then the write fails
      jest.spyOn(fs, 'writeFileSync').mockImplementation((path, data, options) => {
        writeFileSync(path, String(data).slice(0, 40), options as fs.WriteFileOptions);
        throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC' });
      });
      expect(() => devSecrets(file, {})).toThrow(/ENOSPC/);
      jest.restoreAllMocks();
      // nothing is left that holds part of a key, under any name
      expect(fs.readdirSync(temp.dir)).toEqual([]);
    });

    /** As a file system without hard links (FAT, exFAT, some network shares) refuses to make one. */
    const withoutHardLinks = () => jest.spyOn(fs, 'linkSync').mockImplementation((_from, to) => {
      throw Object.assign(new Error(`EPERM: operation not permitted, link '${String(to)}'`), { code: 'EPERM' });
    });

    it('on a file system without hard links the keys are still written whole, once, readable by this user alone', () => {
      withoutHardLinks();
      const file = temp.file('secrets.json');
      const first = devSecrets(file, {});
      const written = readFileSync(file, 'utf8');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      // a second run that looked before the first wrote them keeps the first's keys
      const existsSync = fs.existsSync;
      jest.spyOn(fs, 'existsSync').mockImplementation((path) => (path === file ? false : existsSync(path)));
      const second = devSecrets(file, {});
      jest.restoreAllMocks();
      expect(second.phoneHashKey.equals(first.phoneHashKey)).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(written);
      expect(fs.readdirSync(temp.dir)).toEqual(['secrets.json']);
    });

    it('on a file system without hard links, keys that cannot be written whole (a full disk) leave no part-written secrets.json', () => {
      withoutHardLinks();
      const file = temp.file('secrets.json');
      const writeFileSync = fs.writeFileSync;
      // the copy aside is written whole; the disk fills as the keys are written under their own name
      jest.spyOn(fs, 'writeFileSync').mockImplementation((path, data, options) => {
        if (path !== file) return writeFileSync(path, data, options as fs.WriteFileOptions);
        writeFileSync(path, String(data).slice(0, 40), options as fs.WriteFileOptions);
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      });
      expect(() => devSecrets(file, {})).toThrow(/ENOSPC/);
      jest.restoreAllMocks();
      // nothing that holds part of a key is left, which the next run would take for the database's lost keys
      expect(fs.readdirSync(temp.dir)).toEqual([]);
      expect(devSecrets(file, {}).phoneHashKey).toHaveLength(32);
    });

    it('two imports of the same file at once both finish, the database whole and its keys one set', async () => {
      const db = temp.file('new/mc.db');
      const rows = Array.from({ length: 3000 }, (_, i) => `T${i},139${String(i).padStart(8, '0')},${i % 50}`);
      const file = temp.write('members.csv', `channelMemberId,phone,points\n${rows.join('\n')}\n`);
      const importing = () => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, ['scripts/member-centre.js', '--db', db, 'import', 'members', '--channel', 'tmall', '--file', file], { timeout: 120_000 }, (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }));
      });
      const runs = await Promise.all([importing(), importing()]);
      for (const run of runs) expect({ code: run.code, stderr: run.stderr.split('\n').filter((l) => !/importing members|^$/.test(l)) }).toEqual({ code: 0, stderr: [] });
      const again = await new Promise<string>((resolve) => {
        execFile(process.execPath, ['scripts/member-centre.js', '--db', db, 'import', 'members', '--channel', 'tmall', '--file', file], { timeout: 120_000 }, (_error, stdout, stderr) => resolve(stdout + stderr));
      });
      expect(again).toMatch(/read 3,000 rows in .*: 0 new, 0 updated, 3,000 unchanged, .* 0 members created/);
      const verify = await new Promise<string>((resolve) => {
        execFile(process.execPath, ['scripts/member-centre.js', '--db', db, 'points', 'verify'], { timeout: 120_000 }, (_error, stdout, stderr) => resolve(stdout + stderr));
      });
      expect(verify).toMatch(/3,000 members: no differences/);
    }, 180_000);
  });
});
