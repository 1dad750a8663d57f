/// <reference types="@tarojs/taro" />

declare module '*.png' {
  const src: string
  export default src
}
declare module '*.css'

/** Cloud environment id for the weapp build (config/index.ts, env MC_CLOUD_ENV). */
declare const CLOUD_ENV: string

/** The host of the brand's printed links (config brandDomain, as the functions read it; config/index.ts). */
declare const BRAND_DOMAIN: string
/** The brand's name (config brandName), built into the pages. */
declare const BRAND_NAME: string

declare namespace NodeJS {
  interface ProcessEnv {
    NODE_ENV: 'development' | 'production'
    TARO_ENV: 'weapp' | 'h5'
  }
}
