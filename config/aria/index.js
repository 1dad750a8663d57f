/**
 * WeChat reads a component's aria-role, aria-label, aria-checked, aria-live and aria-hidden to a screen reader
 * (base library 2.7.1), an input's aria-label too, but Taro's weapp templates carry none of them: every label and role a page set was dropped
 * from the WXML, and the member code was read as a bare image. This adds them to the templates and,
 * through the runtime module, to the runtime's list (the two number each component's attributes
 * alike, so they must change together), as @tarojs/plugin-inject would: its releases for Taro 4
 * require @tarojs/shared of their own version exactly (4.1.11 at most) as a peer, which npm refuses beside our 4.2.1; a second
 * copy of @tarojs/shared would number the runtime's attributes apart from the templates'.
 */
const path = require('node:path')
const attributes = require('./attributes.json')

module.exports = (ctx) => {
  ctx.registerMethod({
    name: 'onSetupClose',
    fn(platform) {
      if (platform.platform !== 'weapp' || !platform.template) return
      platform.template.mergeComponents(ctx, JSON.parse(JSON.stringify(attributes)))
      const runtime = path.join(__dirname, 'runtime.js')
      platform.runtimePath = [].concat(platform.runtimePath, runtime)
    },
  })
}
