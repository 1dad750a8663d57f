import { readFileSync, readdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import postcss, { type Rule } from 'postcss'

/**
 * Text contrast as the stylesheets declare it (WCAG 2.1 AA, 1.4.3): each text colour in src/ against
 * what it is drawn on, 4.5:1, or 3:1 for large text (48 design px, or 37.33 bold: 24 and 18.66 CSS px
 * on a 375 px phone). A rule's colour is drawn on the rule's own background, else on its element's
 * (`.x--on` and `.y .x` are drawn on what `.x` declares), else on the backgrounds its block declares
 * (`.points-notice--owed` behind `.points-notice__text`), else on the page's light surfaces. Text on the
 * navy cards sits on a gradient: test/e2e/contrast.test.ts measures it where it is drawn. Also the
 * tab bar's labels in app.config.ts. Colours are resolved through the brand variables of app.css.
 */
const ROOT = resolve(__dirname, '../..')
const SRC = join(ROOT, 'src')

/** The light surfaces a card's text sits on: white cards, the page (#f5f3ef), the inset panels (#f8f6f1). */
const LIGHT = ['#ffffff', '#f5f3ef', '#f8f6f1']
/** Text drawn on the navy gradient cards (member card, points summary, join invitation). */
const ON_NAVY = /^(member-card|points-summary)(__|$)|^join-invite__(card|brand|title|desc)$/
/** Colours declared where no text is drawn on them as they read, each with why. */
const NOT_TEXT: Record<string, string> = {
  // white is the ✓ drawn only with --on, on the ink circle (checked below as the --on rule's pair)
  '.join-check__box': 'the tick, drawn on ink only when on',
}
/** Known exceptions, each with why. */
const EXEMPT: Record<string, string> = {
  // weapp only: WeChat's own native phone button, drawn in WeChat's green as every mini-program's is
  '.join-phone-button': "WeChat's getPhoneNumber button",
}

type Rgba = [number, number, number, number]

const stylesheets = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? stylesheets(join(dir, e.name)) : e.name.endsWith('.css') ? [join(dir, e.name)] : []))

function brandVariables(): Record<string, string> {
  const vars: Record<string, string> = {}
  postcss.parse(readFileSync(join(SRC, 'app.css'), 'utf8')).walkDecls(/^--/, (d) => {
    vars[d.prop] = d.value
  })
  return vars
}
const VARS = brandVariables()

function resolveVars(value: string): string {
  return value.replace(/var\((--[\w-]+)(?:,\s*([^)]+))?\)/g, (_, name: string, fallback?: string) => {
    const found = VARS[name] ?? fallback
    if (found === undefined) throw new Error(`unknown variable ${name}`)
    return resolveVars(found)
  })
}

/** Every colour in a value (a gradient's stops, or one colour). */
function colours(value: string): Rgba[] {
  return [...resolveVars(value).matchAll(/#([0-9a-f]{6}|[0-9a-f]{3})\b|rgba?\(([^)]+)\)/gi)].map((m) => {
    if (m[1]) {
      const hex = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1]
      return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)).concat(1) as Rgba
    }
    const [r, g, b, a] = m[2]!.split(/[\s,/]+/).filter(Boolean).map(Number)
    return [r!, g!, b!, a ?? 1]
  })
}

const over = (top: Rgba, under: Rgba): Rgba => [0, 1, 2].map((i) => top[i]! * top[3] + under[i]! * (1 - top[3])).concat(1) as Rgba
const channel = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)
const luminance = (c: Rgba) => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2])
function contrast(fg: Rgba, bg: Rgba): number {
  const [a, b] = [luminance(over(fg, bg)), luminance(bg)]
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)
}

type Decls = { file: string; selector: string; color?: string; background?: string; size?: number; weight?: number }

/** The element a selector styles, by its class: `.a--on .b__c.nut-button:after` → b__c. */
const elementOf = (selector: string) => selector.trim().split(/[\s>+~]+/).at(-1)!.match(/\.([\w-]+)/)?.[1]?.replace(/--[\w-]+$/, '')
const blockOf = (element: string) => element.split('__')[0]!

function rules(): Decls[] {
  const out: Decls[] = []
  for (const file of stylesheets(SRC)) {
    postcss.parse(readFileSync(file, 'utf8')).walkRules((rule: Rule) => {
      for (const selector of rule.selectors) {
        const d: Decls = { file: relative(ROOT, file), selector }
        rule.each((node) => {
          if (node.type !== 'decl') return
          if (node.prop === 'color') d.color = node.value
          if (node.prop === 'background' || node.prop === 'background-color') d.background = node.value
          if (node.prop === 'font-size') d.size = parseFloat(node.value)
          if (node.prop === 'font-weight') d.weight = Number(node.value) || (node.value === 'bold' ? 700 : 400)
        })
        out.push(d)
      }
    })
  }
  return out
}

const painted = (value?: string) => value !== undefined && colours(value).length > 0
const isPlaceholder = (selector: string) => /placeholder/.test(selector)

type Low = { selector: string; file: string; color: string; on: string; ratio: number; needs: number }

function lowContrast(): Low[] {
  const all = rules()
  const base = (element: string) => all.filter((r) => r.selector.trim() === `.${element}`)
  const low: Low[] = []
  for (const rule of all) {
    const element = elementOf(rule.selector)
    const key = rule.selector.trim()
    if (NOT_TEXT[key] || EXEMPT[key]) continue
    const own = element ? base(element) : []
    // the colour and the background this rule draws with, completed from its element's base rule
    const color = rule.color ?? (painted(rule.background) ? own.find((r) => r.color)?.color : undefined)
    if (!color || !painted(color)) continue
    if (element && ON_NAVY.test(element) && !painted(rule.background) && !own.some((r) => painted(r.background))) continue
    const backgrounds = painted(rule.background)
      ? [rule.background!]
      : own.filter((r) => painted(r.background)).map((r) => r.background!)
    // else the backgrounds the element's block declares on its root (.points-notice, .points-notice--owed), else the light surfaces
    const block = all.filter((r) => element && elementOf(r.selector) === blockOf(element) && painted(r.background) && !r.selector.trim().includes(' '))
    const surfaces: Rgba[] = backgrounds.length
      ? backgrounds.flatMap(colours).flatMap((b) => (b[3] < 1 ? colours(ON_NAVY.test(element ?? '') ? '#1f2a44 #3a4a70' : LIGHT.join(' ')).map((u) => over(b, u)) : [b]))
      : block.length
        ? block.flatMap((r) => colours(r.background!))
        : colours(LIGHT.join(' '))
    const size = rule.size ?? own.find((r) => r.size)?.size ?? 28
    const weight = rule.weight ?? own.find((r) => r.weight)?.weight ?? 400
    const needs = isPlaceholder(key) ? 4.5 : size >= 48 || (size >= 37.33 && weight >= 700) ? 3 : 4.5
    for (const fg of colours(color)) {
      for (const bg of surfaces) {
        const ratio = contrast(fg, bg)
        if (ratio < needs) low.push({ selector: key, file: rule.file, color: resolveVars(color), on: `rgb(${bg.slice(0, 3).map(Math.round).join(',')})`, ratio: Math.round(ratio * 100) / 100, needs })
      }
    }
  }
  return low
}

describe('text contrast declared in the stylesheets', () => {
  it('keeps every text colour in src/ at 4.5:1 (3:1 for large text) on what it is drawn on', () => {
    expect(lowContrast()).toEqual([])
  })

  it("keeps the tab bar's labels at 4.5:1 on its background, chosen or not", () => {
    const config = readFileSync(join(SRC, 'app.config.ts'), 'utf8')
    const tabBar = config.slice(config.indexOf('tabBar'))
    const value = (name: string) => colours(tabBar.match(new RegExp(`\\b${name}: '([^']+)'`))![1]!)[0]!
    const bar = value('backgroundColor')
    expect({ color: contrast(value('color'), bar) >= 4.5, selectedColor: contrast(value('selectedColor'), bar) >= 4.5 }).toEqual({ color: true, selectedColor: true })
  })

  it('measures as WCAG does: black on white 21:1, #767676 on white 4.54:1, half-transparent black on white as #808080', () => {
    const [black, white, grey, half] = colours('#000 #fff #767676 rgba(0, 0, 0, 0.5)') as [Rgba, Rgba, Rgba, Rgba]
    expect(contrast(black, white)).toBeCloseTo(21, 5)
    expect(contrast(grey, white)).toBeCloseTo(4.54, 2)
    expect(contrast(half, white)).toBeCloseTo(contrast(colours('#808080')[0]!, white), 1)
  })
})
