import * as helper from '@tarojs/helper'
import { Weapp } from '@tarojs/plugin-platform-weapp'
import config from '../../config/index'

/**
 * The weapp templates as `taro build --type weapp` writes them (the project's Taro plugins applied to
 * the weapp platform), the runtime's numbering of each component's attributes, and the shortcut an
 * attribute is bound to: for tests of what reaches WeChat's WXML without a build.
 */
type Plugin = (ctx: unknown, options: unknown) => void
type AnyFn = (...args: any[]) => any

export async function weappTemplate(components: string[] = ['view', 'image', 'text']) {
  const project = await (config as unknown as AnyFn)((a: object, b: object) => ({ ...a, ...b }), { mode: 'production', command: 'build' })
  const methods: Record<string, AnyFn[]> = {}
  const base = {
    helper,
    paths: { appPath: process.cwd(), sourcePath: `${process.cwd()}/src`, outputPath: `${process.cwd()}/dist/weapp` },
    registerMethod: ({ name, fn }: { name: string; fn: AnyFn }) => (methods[name] ??= []).push(fn),
  }
  // the hooks these plugins use elsewhere (webpack, postcss) play no part in the templates
  const ctx = new Proxy(base, { get: (target, key) => (key in target ? target[key as keyof typeof target] : () => undefined) })
  for (const entry of project.plugins as (string | [string, unknown])[]) {
    const [name, options] = typeof entry === 'string' ? [entry, {}] : entry
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(name)
    ;((loaded.default ?? loaded) as Plugin)(ctx, options ?? {})
  }
  const weapp = new Weapp(ctx, { compiler: 'webpack5' }, {})
  weapp.modifyTemplate({}) // the platform's own components, at the close of its setup
  const platformComponents = structuredClone(weapp.template.internalComponents)
  for (const fn of methods.onSetupClose ?? []) fn(weapp)
  const wxml: string = weapp.template.buildTemplate({ includes: new Set(components), exclude: new Set(), thirdPartyComponents: new Map(), includeAll: false })
  const runtimePaths = ([] as string[]).concat(weapp.runtimePath).filter((p) => p.startsWith('/'))
  return { wxml, platformComponents, runtimePaths }
}

/** What the runtime numbers: the platform's components, then the modules the plugins add to the runtime. */
export function runtimeAlias(platformComponents: Record<string, Record<string, string>>, runtimePaths: string[]) {
  let alias: Record<string, Record<string, string>> = {}
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const shared = require('@tarojs/shared')
    shared.mergeInternalComponents(platformComponents)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    for (const path of runtimePaths) require(path)
    alias = shared.getComponentsAlias(shared.internalComponents)
  })
  return alias
}

/** The shortcut a tag's attribute is bound to in the template (`aria-label="{{i.p0}}"` → p0). */
export function bound(wxml: string, tag: string, attribute: string): string | null {
  const open = wxml.match(new RegExp(`<${tag} [^>]*>`))?.[0] ?? ''
  return open.match(new RegExp(` ${attribute}="\\{\\{(?:xs\\.b\\()?i\\.(p\\d+)`))?.[1] ?? null
}
