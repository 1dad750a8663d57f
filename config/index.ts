import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { defineConfig, type UserConfigExport } from '@tarojs/cli'

// TypeScript outside src/ that the pages import (types and plain constants only).
const contracts = path.resolve(__dirname, '..', 'cloudfunctions/core/contracts')

// NutUI's styles are written for a 375 px design; ours for 750 px.
const designWidth = (input?: unknown) => {
  const file = (input as { file?: string } | undefined)?.file ?? ''
  return file.replace(/\\+/g, '/').includes('@nutui') ? 375 : 750
}

/**
 * The brand's settings as the functions read them (config/member-centre.json, or the file MC_CONFIG
 * names), asked of the CLI, which checks them as the functions do: a mistake stops the build before
 * it starts, saying what is wrong. (Taro's loader compiles this folder only, not the core's TypeScript.)
 */
function brandConfig(): { brandDomain: string; brandName: string } {
  const cli = path.resolve(__dirname, '..', 'scripts', 'member-centre.js')
  const run = spawnSync(process.execPath, [cli, 'config'], { encoding: 'utf8', env: process.env })
  if (run.status !== 0) throw new Error((run.stderr || run.error?.message || 'member-centre config failed').trim())
  return JSON.parse(run.stdout)
}

export default defineConfig<'webpack5'>(async (merge, { mode }) => {
  const brand = brandConfig()
  const config: UserConfigExport<'webpack5'> = {
    projectName: 'member-centre',
    date: '2026-11-23',
    designWidth,
    deviceRatio: { 640: 2.34 / 2, 750: 1, 375: 2, 828: 1.81 / 2 },
    sourceRoot: 'src',
    outputRoot: `dist/${process.env.TARO_ENV}`,
    // aria: WeChat's screen-reader attributes, which Taro's weapp templates leave out
    plugins: ['@tarojs/plugin-html', path.resolve(__dirname, 'aria/index.js')],
    defineConstants: {
      // Cloud environment id for Taro.cloud.init in the weapp build.
      // Empty: the account's default environment (scripts/build-size.ts warns).
      CLOUD_ENV: JSON.stringify(process.env.MC_CLOUD_ENV ?? ''),
      // The brand's link host, as the functions read it: the scan page answers other sites' links itself.
      BRAND_DOMAIN: JSON.stringify(brand.brandDomain),
      // The brand's name on the member card and the invitation.
      BRAND_NAME: JSON.stringify(brand.brandName),
    },
    // the picture of a shared card (src/lib/share.ts), a file of the package as it is: bundled, an
    // image this small becomes a data URL, which WeChat's share card does not take
    copy: { patterns: [{ from: 'src/assets/share/', to: `dist/${process.env.TARO_ENV}/assets/share/` }], options: {} },
    framework: 'react',
    compiler: {
      type: 'webpack5',
      // Without this, watch mode prebundles all of NutUI into one oversized chunk.
      prebundle: { exclude: ['@nutui/nutui-react-taro', '@nutui/icons-react-taro'] },
    },
    cache: { enable: true },
    mini: {
      compile: { include: [contracts] },
      minifyXML: { collapseWhitespace: mode === 'production' },
      // NutUI's per-component CSS lands in shared chunks in differing orders; its rules do not overlap.
      miniCssExtractPluginOption: { ignoreOrder: true },
      postcss: {
        pxtransform: { enable: true, config: {} },
        cssModules: { enable: false },
      },
    },
    h5: {
      publicPath: '/',
      staticDirectory: 'static',
      router: { mode: 'hash' },
      compile: { include: [contracts] },
      output: {
        filename: 'js/[name].[contenthash:8].js',
        chunkFilename: 'js/[name].[contenthash:8].js',
      },
      miniCssExtractPluginOption: {
        ignoreOrder: true,
        filename: 'css/[name].[contenthash:8].css',
        chunkFilename: 'css/[name].[contenthash:8].css',
      },
      postcss: {
        autoprefixer: { enable: true, config: {} },
        cssModules: { enable: false },
      },
    },
  }
  return merge({}, config)
})
