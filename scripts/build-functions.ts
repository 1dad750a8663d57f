/**
 * Bundles each cloud function (cloudfunctions/<name>/index.ts) into
 * dist/cloudfunctions/<name>/ as index.js + package.json, plus its config.json
 * where it has one (the WeChat open APIs it may call: without that declaration
 * a cloud call fails with -604101), a folder WeChat
 * DevTools uploads as it is ("upload and deploy: install dependencies in the
 * cloud"). wx-server-sdk stays external (installed in the cloud); nothing of
 * the embedded store may end up in a bundle. The brand's `MC_CONFIG` file, if
 * set, is built in: the functions run with the config they were built with.
 *
 *   npx tsx scripts/build-functions.ts [--out DIR]
 */
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configFile, loadConfig } from '../cloudfunctions/core/runtime/config';

const root = resolve(__dirname, '..');
const source = join(root, 'cloudfunctions');
const outArg = process.argv.indexOf('--out');
const outRoot = resolve(outArg > 0 ? process.argv[outArg + 1]! : join(root, 'dist/cloudfunctions'));
const sdkVersion = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies['wx-server-sdk'];

export function functionNames(): string[] {
  return readdirSync(source).filter((name) => name !== 'core' && existsSync(join(source, name, 'index.ts')));
}

async function buildOne(name: string, brandConfig: object): Promise<number> {
  const out = join(outRoot, name);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const result = await build({
    entryPoints: [join(source, name, 'index.ts')],
    outfile: join(out, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node16',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    external: ['wx-server-sdk', 'better-sqlite3'],
    define: { MC_BUILT_CONFIG: JSON.stringify(brandConfig) },
    metafile: true,
    logLevel: 'warning',
  });
  const leaked = Object.keys(result.metafile.inputs).filter((input) => /better-sqlite3|core\/store\/sqlite|core\/local\//.test(input));
  if (leaked.length) throw new Error(`${name}: the embedded store leaked into the bundle via ${leaked.join(', ')}`);
  const config = join(source, name, 'config.json');
  if (existsSync(config)) copyFileSync(config, join(out, 'config.json'));
  writeFileSync(join(out, 'package.json'), `${JSON.stringify({ name, version: '1.0.0', main: 'index.js', private: true, dependencies: { 'wx-server-sdk': sdkVersion } }, null, 2)}\n`);
  return statSync(join(out, 'index.js')).size;
}

/**
 * The brand's config file (`MC_CONFIG`) as the functions will run with it, checked now: a cloud
 * function has no such file to read at run time, so it is built in (`{}`: the defaults alone).
 */
function brandConfig(): object {
  const { MC_CONFIG } = process.env;
  try {
    const file = configFile(process.env);
    // checked over the defaults as the functions will merge it (the file read once)
    loadConfig({}, file);
    return file;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(message.startsWith('MC_CONFIG=') ? message : `MC_CONFIG=${MC_CONFIG}: ${message}`);
  }
}

async function main(): Promise<void> {
  const config = brandConfig();
  process.stdout.write(`config: ${process.env.MC_CONFIG ? `${process.env.MC_CONFIG} built in over config/member-centre.json` : 'config/member-centre.json (MC_CONFIG not set)'}\n`);
  for (const name of functionNames()) {
    const started = Date.now();
    const size = await buildOne(name, config);
    process.stdout.write(`cloud function ${name.padEnd(12)} ${(size / 1024).toFixed(1).padStart(7)} KB  ${Date.now() - started} ms  → ${join(outRoot, name)}\n`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
