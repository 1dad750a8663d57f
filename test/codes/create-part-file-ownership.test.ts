/**
 * `codes create`'s part-file (codes/cli.ts): only the file this run made is activated, renamed or
 * removed, and the file is made exclusively. Each test is another run with the same --out doing
 * something in the window a test could otherwise not see.
 */
import fs, { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cliOnFreshDatabase } from '../support/cli';

/** `codes list` as rows: id, status, sku. */
const listed = (out: string) => out.trim().split('\n').filter(Boolean).map((line) => line.split('\t').slice(0, 3));

describe('codes create: a part-file that is not this run\'s', () => {
  const fresh = cliOnFreshDatabase();
  const { cli, run } = fresh;
  afterEach(() => jest.restoreAllMocks());

  const create = (out: string) => run('codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '3', '--out', out);

  it('another run that replaced the part-file and was killed before it finished: this run is withdrawn, and the other\'s file is neither activated at --out nor removed', async () => {
    const out = fresh.temp.file('print.txt');
    const part = `${out}.part`;
    const theirs = 'https://mc.example.com/c/another-run-half-written\n';
    // as this run's stream is made, another run (the same --out) replaces the part-file, writes a line and is killed
    const real = fs.createWriteStream;
    let replaced = false;
    jest.spyOn(fs, 'createWriteStream').mockImplementation(((path: fs.PathLike, options?: Parameters<typeof fs.createWriteStream>[1]) => {
      if (!replaced && existsSync(part)) {
        replaced = true;
        fs.rmSync(part);
        writeFileSync(part, theirs, { mode: 0o600 });
      }
      return real(path, options);
    }) as typeof fs.createWriteStream);
    const answer = await create(out);
    jest.restoreAllMocks();

    expect(replaced).toBe(true);
    expect(answer.failed).toBe(true);
    expect(answer.err).toMatch(/print\.txt\.part was replaced while this run wrote it/);
    expect(answer.err).toMatch(/batch \w{4} withdrawn; none of its codes will scan/);
    // nothing at --out (a printer's hot folder), and the other run's part-file left to it
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(part, 'utf8')).toBe(theirs);
    expect(listed((await cli('codes', 'list')).out)).toEqual([[expect.any(String), 'revoked', 'CREAM-50']]);
  });

  it('a part-file another run makes between this run clearing the old one and making its own is not written into: this run is withdrawn', async () => {
    const out = fresh.temp.file('print.txt');
    const part = `${out}.part`;
    const theirs = 'https://mc.example.com/c/another-run-first-line\n';
    const real = fs.rmSync;
    let made = false;
    jest.spyOn(fs, 'rmSync').mockImplementation(((path: fs.PathLike, options?: fs.RmOptions) => {
      real(path, options);
      if (!made && String(path) === part) {
        made = true;
        writeFileSync(part, theirs, { mode: 0o600 });
      }
    }) as typeof fs.rmSync);
    const answer = await create(out);
    jest.restoreAllMocks();

    expect(made).toBe(true);
    expect(answer.failed).toBe(true);
    expect(existsSync(out)).toBe(false);
    expect(readFileSync(part, 'utf8')).toBe(theirs);
    expect(listed((await cli('codes', 'list')).out)).toEqual([[expect.any(String), 'revoked', 'CREAM-50']]);
  });
});

describe('codes create: a batch active whose file could not be renamed', () => {
  const fresh = cliOnFreshDatabase();
  const { cli, run } = fresh;
  afterEach(() => jest.restoreAllMocks());

  it('names the part-file as the one kept, with the batch\'s codes, when --out became a folder meanwhile', async () => {
    const out = fresh.temp.file('print.txt');
    const part = `${out}.part`;
    // a folder (not empty) made at --out while the run writes: given --force, the rename onto it fails after the batch is active
    const real = fs.createWriteStream;
    let made = false;
    jest.spyOn(fs, 'createWriteStream').mockImplementation(((path: fs.PathLike, options?: Parameters<typeof fs.createWriteStream>[1]) => {
      if (!made && existsSync(part)) {
        made = true;
        fs.mkdirSync(out);
        writeFileSync(`${out}/inside.txt`, 'x');
      }
      return real(path, options);
    }) as typeof fs.createWriteStream);
    const answer = await run('codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '3', '--out', out, '--force');
    jest.restoreAllMocks();

    expect(made).toBe(true);
    expect(answer.failed).toBe(true);
    const batch = listed((await cli('codes', 'list')).out)[0]!;
    expect(batch).toEqual([expect.any(String), 'active', 'CREAM-50']);
    expect(answer.err).toContain(`batch ${batch[0]} is active all the same: ${part} is kept and its codes scan`);
    expect(readFileSync(part, 'utf8').trim().split('\n')).toHaveLength(3);
  });
});

describe('codes create: the example-domain warning', () => {
  const fresh = cliOnFreshDatabase();
  const { run } = fresh;
  afterEach(() => { delete process.env.MC_CONFIG; });

  it('a brand domain that merely ends in the letters of an example host (mybrandexample.com) is the brand\'s: no warning', async () => {
    for (const domain of ['mybrandexample.com', 'mc.brandexample.org']) {
      process.env.MC_CONFIG = fresh.temp.file('brand.json');
      writeFileSync(process.env.MC_CONFIG, JSON.stringify({ brandDomain: domain }));
      const answer = await run('codes', 'create', '--sku', 'CREAM-50', '--name', '面霜 50ml', '--points', '30', '--count', '1', '--out', fresh.temp.file(`${domain}.txt`));
      expect(answer.failed).toBe(false);
      expect(answer.err).not.toMatch(/warning/);
    }
  });
});
