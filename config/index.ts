import { readFileSync } from 'node:fs'
import path from 'node:path'
import { defineConfig, type UserConfigExport } from '@tarojs/cli'

// TypeScript outside src/ that the pages import (types and plain constants only).
const contracts = path.resolve(__dirname, '..', 'cloudfunctions/core/contracts')

// NutUI's styles are written for a 375 px design; ours for 750 px.
const designWidth = (input?: unknown) => {
  const file = (input as { file?: string } | undefined)?.file ?? ''
  return file.replace(/\\+/g, '/').includes('@nutui') ? 375 : 750
}

/** A field of config/member-centre.json, or of the file MC_CONFIG names when it has it (as the functions read them). */
function brandSetting(field: 'brandDomain' | 'brandName'): string {
  const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, string | undefined>
  const override = process.env.MC_CONFIG ? read(process.env.MC_CONFIG)[field] : undefined
  return override ?? read(path.resolve(__dirname, 'member-centre.json'))[field]!
}

export default defineConfig<'webpack5'>(async (merge, { mode }) => {
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
      BRAND_DOMAIN: JSON.stringify(brandSetting('brandDomain')),
      // The brand's name on the member card and the invitation.
      BRAND_NAME: JSON.stringify(brandSetting('brandName')),
    },
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
