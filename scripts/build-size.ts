// Size and sanity check of a Taro build: `npx tsx scripts/build-size.ts weapp|h5`.
// weapp: main package and subpackage sizes (main must stay under MC_WEAPP_MAIN_LIMIT_KB,
// default 1536 = 1.5 MB, well inside WeChat's 2 MB), every page listed and built, every
// tab bar icon present. h5: total JS + CSS and the largest files.
import fs from 'node:fs'
import path from 'node:path'
import { SHARE_IMAGE } from '../src/lib/share-image'

const root = path.resolve(__dirname, '..')
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`

interface FileSize {
  file: string // relative to the build folder, with forward slashes
  size: number
}

function walk(dir: string, base = dir): FileSize[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return walk(full, base)
    return [{ file: path.relative(base, full).split(path.sep).join('/'), size: fs.statSync(full).size }]
  })
}

const sum = (files: FileSize[]) => files.reduce((total, f) => total + f.size, 0)

interface AppJson {
  pages: string[]
  subPackages?: { root: string; pages: string[] }[]
  subpackages?: { root: string; pages: string[] }[]
  tabBar?: { list: { iconPath?: string; selectedIconPath?: string }[] }
}

/** Pages in src/: every folder holding an index.config.ts, as "pages/x/index". */
function sourcePages(): string[] {
  const src = path.join(root, 'src')
  return walk(src)
    .map((f) => f.file)
    .filter((f) => f.endsWith('/index.config.ts'))
    .map((f) => f.replace(/\.config\.ts$/, ''))
}

function checkWeapp(): boolean {
  const dist = path.join(root, 'dist/weapp')
  const app = JSON.parse(fs.readFileSync(path.join(dist, 'app.json'), 'utf8')) as AppJson
  const subs = app.subPackages ?? app.subpackages ?? []
  const roots = subs.map((s) => s.root.replace(/\/?$/, '/'))
  const files = walk(dist)
  const inRoot = (f: FileSize, r: string) => f.file.startsWith(r)

  const main = files.filter((f) => !roots.some((r) => inRoot(f, r)))
  const limitKb = Number(process.env.MC_WEAPP_MAIN_LIMIT_KB ?? 1536)
  console.log(`main package   ${kb(sum(main))} (limit ${limitKb} KB)`)
  // DYNAMIC_CURRENT_ENV exists only inside cloud functions: the mini-program needs the id itself.
  console.log(process.env.MC_CLOUD_ENV
    ? `cloud env      ${process.env.MC_CLOUD_ENV}`
    : 'cloud env      not set (MC_CLOUD_ENV): the mini-program will call the account\'s default cloud environment')
  for (const r of roots) console.log(`subpackage ${r.padEnd(12)} ${kb(sum(files.filter((f) => inRoot(f, r))))}`)

  const problems: string[] = []
  if (sum(main) > limitKb * 1024) problems.push(`main package over ${limitKb} KB`)

  const listed = [...app.pages, ...subs.flatMap((s) => s.pages.map((p) => `${s.root.replace(/\/$/, '')}/${p}`))]
  for (const page of sourcePages()) if (!listed.includes(page)) problems.push(`src page not in app.json: ${page}`)
  for (const page of listed) {
    for (const ext of ['.js', '.json', '.wxml']) {
      if (!fs.existsSync(path.join(dist, page + ext))) problems.push(`page not built: ${page}${ext}`)
    }
  }
  for (const tab of app.tabBar?.list ?? []) {
    for (const icon of [tab.iconPath, tab.selectedIconPath]) {
      if (icon && !fs.existsSync(path.join(dist, icon))) problems.push(`tab bar icon missing: ${icon}`)
    }
  }

  // a page that can be shared names its picture (src/lib/share.ts): missing, WeChat shares a screenshot
  // of the page (Taro keeps the setting in the page's script, not its JSON: read from the source)
  const sharing = sourcePages().filter((page) => /enableShareAppMessage:\s*true/.test(fs.readFileSync(path.join(root, 'src', `${page}.config.ts`), 'utf8')))
  if (sharing.length && !fs.existsSync(path.join(dist, SHARE_IMAGE))) problems.push(`share picture missing: ${SHARE_IMAGE} (pages ${sharing.join(', ')} share it)`)

  for (const p of problems) console.error(`✗ ${p}`)
  if (problems.length === 0) console.log(`✓ ${listed.length} pages built, tab bar icons present${sharing.length ? `, share picture present (${sharing.length} pages share)` : ''}`)
  return problems.length === 0
}

function checkH5(): boolean {
  const assets = walk(path.join(root, 'dist/h5')).filter((f) => /\.(js|css)$/.test(f.file))
  const js = assets.filter((f) => f.file.endsWith('.js'))
  console.log(`h5 JS + CSS    ${kb(sum(assets))} (JS ${kb(sum(js))}, CSS ${kb(sum(assets) - sum(js))})`)
  for (const f of [...assets].sort((a, b) => b.size - a.size).slice(0, 5)) {
    console.log(`  ${kb(f.size).padStart(9)}  ${f.file}`)
  }
  return assets.length > 0
}

const target = process.argv[2]
if (target !== 'weapp' && target !== 'h5') {
  console.error('usage: tsx scripts/build-size.ts weapp|h5')
  process.exit(2)
}
if (!fs.existsSync(path.join(root, 'dist', target))) {
  console.error(`dist/${target} not found: run taro build --type ${target} first`)
  process.exit(2)
}
process.exit((target === 'weapp' ? checkWeapp() : checkH5()) ? 0 : 1)
