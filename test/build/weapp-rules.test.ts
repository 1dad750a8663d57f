import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import postcss from 'postcss'
import ts from 'typescript'

/**
 * What WeChat asks of the mini-program, read from src/ as `taro build --type weapp` turns it into
 * app.json, each page's .json and its WXSS, without building (the browser tests exercise the H5
 * build only; the weapp build is otherwise checked for its size alone).
 */
const ROOT = resolve(__dirname, '../..')
const SRC = join(ROOT, 'src')

interface AppConfig {
  pages: string[]
  subPackages?: { root: string; pages: string[] }[]
  preloadRule?: Record<string, { packages: string[] }>
  tabBar?: { list: { pagePath: string; text: string; iconPath?: string; selectedIconPath?: string }[] }
  requiredPrivateInfos?: string[]
  permission?: Record<string, unknown>
}

/** A Taro config module (app.config.ts, a page's index.config.ts) as Taro evaluates it. */
function taroConfig<T>(file: string): T {
  const g = globalThis as Record<string, unknown>
  g.defineAppConfig = g.definePageConfig = (config: unknown) => config
  let loaded: { default: T } | undefined
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require(file)
  })
  return loaded!.default
}

const app = taroConfig<AppConfig>(join(SRC, 'app.config.ts'))
const subPackages = app.subPackages ?? []
const subPackagePages = subPackages.flatMap((s) => s.pages.map((p) => `${s.root.replace(/\/$/, '')}/${p}`))
const allPages = [...app.pages, ...subPackagePages]

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]))
const rel = (file: string) => relative(ROOT, file).split('\\').join('/')

/** A module the weapp build takes: Taro picks `x.h5.tsx` for H5 alone, and the weapp build never sees it. */
const inWeapp = (file: string) => !/\.h5\.(tsx?|css)$/.test(file)

function resolveModule(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec)
  for (const candidate of [base, `${base}.tsx`, `${base}.ts`, join(base, 'index.tsx'), join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate
  }
  return null
}

/** The source modules of src/ a page's entry reaches (weapp's choice of platform files), and the stylesheets they import. */
function pageGraph(entry: string): { modules: string[]; styles: string[] } {
  const modules = new Set<string>()
  const styles = new Set<string>()
  const visit = (file: string) => {
    if (modules.has(file) || !file.startsWith(SRC) || !inWeapp(file)) return
    modules.add(file)
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS)
    for (const statement of source.statements) {
      if ((ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
        const spec = statement.moduleSpecifier.text
        if (!spec.startsWith('.')) continue
        if (spec.endsWith('.css')) styles.add(resolve(dirname(file), spec))
        else {
          const target = resolveModule(file, spec)
          if (target) visit(target)
        }
      }
    }
  }
  visit(entry)
  return { modules: [...modules], styles: [...styles] }
}

/** Class names a module writes into `className` (the fixed words of literals and templates). */
function classNamesIn(file: string): Map<string, number> {
  const found = new Map<string, number>()
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX)
  const words = (text: string, node: ts.Node) => {
    for (const word of text.split(/\s+/)) {
      // a template's fixed part may end in the middle of a name (`scan-result--${tone}`): not a name
      if (/^[a-z][\w-]*[a-z0-9]$/i.test(word) && !word.endsWith('-')) found.set(word, source.getLineAndCharacterOfPosition(node.getStart()).line + 1)
    }
  }
  const visit = (node: ts.Node) => {
    if (ts.isJsxAttribute(node) && node.name.getText() === 'className' && node.initializer) {
      const collect = (n: ts.Node) => {
        if (ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) words(n.text, n)
        if (ts.isTemplateExpression(n)) {
          const parts = [n.head.text, ...n.templateSpans.map((s) => s.literal.text)]
          // only words whole on both sides: `a ${x ? 'b' : ''}` keeps `a`; `x--${tone}` keeps nothing
          parts.forEach((part, i) => {
            const inner = part.split(/\s+/)
            if (i > 0) inner.shift()
            if (i < parts.length - 1) inner.pop()
            words(inner.join(' '), n)
          })
        }
        ts.forEachChild(n, collect)
      }
      collect(node.initializer)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

/** The class names a stylesheet's selectors mention, with H5-only blocks (`#ifdef h5`) left out as Taro leaves them out of WXSS. */
function classesStyledBy(file: string): Set<string> {
  const css = readFileSync(file, 'utf8').replace(/\/\*\s*#ifdef h5\s*\*\/[\s\S]*?\/\*\s*#endif\s*\*\//g, '')
  const out = new Set<string>()
  postcss.parse(css).walkRules((rule) => {
    for (const match of rule.selector.matchAll(/\.([A-Za-z_][\w-]*)/g)) out.add(match[1]!)
  })
  return out
}

const pageEntry = (page: string) => resolveModule(join(SRC, 'x'), `./${page}`)!

describe('app.json as WeChat reads it', () => {
  it('lists every page once, each built from src/, with no page outside app.json', () => {
    expect(new Set(allPages).size).toBe(allPages.length)
    for (const page of allPages) expect({ page, entry: Boolean(resolveModule(join(SRC, 'x'), `./${page}`)) }).toEqual({ page, entry: true })
    const built = walk(SRC)
      .filter((f) => f.endsWith('/index.config.ts'))
      .map((f) => relative(SRC, f).split('\\').join('/').replace(/\.config\.ts$/, ''))
    expect(built.sort()).toEqual([...allPages].sort())
  })

  it('gives every page a title in its own config (WeChat shows the app-wide one otherwise)', () => {
    for (const page of allPages) {
      const config = taroConfig<{ navigationBarTitleText?: unknown }>(join(SRC, `${page}.config.ts`))
      expect({ page, title: typeof config.navigationBarTitleText === 'string' && config.navigationBarTitleText.trim() !== '' }).toEqual({ page, title: true })
    }
  })

  it('keeps the tab pages in the main package, with 2 to 5 tabs whose icons are local PNG or JPG files of at most 40 KB', () => {
    const tabs = app.tabBar?.list ?? []
    expect(tabs.length).toBeGreaterThanOrEqual(2)
    expect(tabs.length).toBeLessThanOrEqual(5)
    for (const tab of tabs) {
      expect(app.pages).toContain(tab.pagePath)
      expect(subPackagePages).not.toContain(tab.pagePath)
      for (const icon of [tab.iconPath, tab.selectedIconPath]) {
        expect(icon).toMatch(/^[^:]+\.(png|jpe?g)$/) // no network images, no SVG
        const file = join(SRC, icon!)
        expect({ icon, present: existsSync(file) }).toEqual({ icon, present: true })
        expect({ icon, underLimit: statSync(file).size <= 40 * 1024 }).toEqual({ icon, underLimit: true })
      }
    }
  })

  it('has no subpackage root inside another and preloads only subpackages, from listed pages', () => {
    const roots = subPackages.map((s) => s.root.replace(/\/?$/, '/'))
    for (const a of roots) for (const b of roots) if (a !== b) expect(a.startsWith(b)).toBe(false)
    for (const page of app.pages) expect(roots.some((r) => page.startsWith(r))).toBe(false)
    for (const [page, rule] of Object.entries(app.preloadRule ?? {})) {
      expect(allPages).toContain(page)
      for (const name of rule.packages) expect(subPackages.map((s) => s.root)).toContain(name)
    }
  })

  it('declares the location APIs the pages call (requiredPrivateInfos), as WeChat refuses an undeclared one', () => {
    const LOCATION = ['getLocation', 'getFuzzyLocation', 'chooseLocation', 'choosePoi', 'chooseAddress', 'onLocationChange', 'startLocationUpdate', 'startLocationUpdateBackground']
    const used = new Set<string>()
    for (const file of walk(SRC).filter((f) => /\.tsx?$/.test(f) && inWeapp(f))) {
      const text = readFileSync(file, 'utf8')
      for (const api of LOCATION) if (new RegExp(`\\b(Taro|wx)\\.${api}\\b`).test(text)) used.add(api)
    }
    for (const api of used) expect(app.requiredPrivateInfos ?? []).toContain(api)
  })
})

describe('page code WeChat runs', () => {
  const weappModules = walk(SRC).filter((f) => /\.tsx?$/.test(f) && inWeapp(f))

  it('never evaluates code from a string (WeChat forbids eval and new Function)', () => {
    for (const file of weappModules) {
      const code = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false, ts.ScriptKind.TSX)
      const offences: string[] = []
      const visit = (node: ts.Node) => {
        if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'eval') offences.push('eval')
        if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && node.expression.text === 'Function') offences.push('Function')
        ts.forEachChild(node, visit)
      }
      visit(code)
      expect({ file: rel(file), offences }).toEqual({ file: rel(file), offences: [] })
    }
  })
})

describe('WXSS as WeChat applies it', () => {
  const weappStyles = walk(SRC).filter((f) => f.endsWith('.css') && inWeapp(f))
  /** Stylesheets only an H5-only module imports stay out of the weapp build. */
  const h5Only = new Set(
    walk(SRC)
      .filter((f) => /\.h5\.tsx?$/.test(f))
      .flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/import\s+'(\.[^']+\.css)'/g)].map((m) => resolve(dirname(f), m[1]!))),
  )

  it('uses nothing the WXSS compiler refuses or older WeChat engines lack (flex gap before iOS 14.5, :has/:is/:where, *)', () => {
    for (const file of weappStyles.filter((f) => !h5Only.has(f))) {
      const css = readFileSync(file, 'utf8').replace(/\/\*\s*#ifdef h5\s*\*\/[\s\S]*?\/\*\s*#endif\s*\*\//g, '')
      const offences: string[] = []
      postcss.parse(css).walk((node) => {
        if (node.type === 'rule') {
          if (/:(has|is|where)\(/.test(node.selector)) offences.push(`${node.selector} (selector function)`)
          if (/(^|[\s>+~,(])\*/.test(node.selector)) offences.push(`${node.selector} (universal selector)`)
        }
        if (node.type === 'decl' && /^(gap|row-gap|column-gap)$/.test(node.prop)) offences.push(`${node.prop}: ${node.value}`)
      })
      expect({ file: rel(file), offences }).toEqual({ file: rel(file), offences: [] })
    }
  })

  it("styles each page's classes with stylesheets that page imports (WeChat scopes a page's WXSS to it; H5 keeps every stylesheet once loaded)", () => {
    const appStyled = classesStyledBy(join(SRC, 'app.css'))
    const styledSomewhere = new Set(weappStyles.flatMap((f) => [...classesStyledBy(f)]))
    for (const page of allPages) {
      const { modules, styles } = pageGraph(pageEntry(page))
      const styled = new Set([...appStyled, ...styles.flatMap((f) => [...classesStyledBy(f)])])
      const unstyled: string[] = []
      for (const file of modules) {
        for (const [name, line] of classNamesIn(file)) {
          // only classes some stylesheet of ours styles: hooks no rule names, and NutUI's own, are not ours to import
          if (styledSomewhere.has(name) && !styled.has(name)) unstyled.push(`.${name} (${rel(file)}:${line})`)
        }
      }
      expect({ page, unstyled }).toEqual({ page, unstyled: [] })
    }
  })
})
