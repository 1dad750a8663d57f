import { bound, runtimeAlias, weappTemplate } from '../support/weappTemplate'

/**
 * WeChat reads aria-role, aria-label and aria-checked to a screen reader, and only what the WXML
 * templates bind reaches a component. The pages set them (the member code's 会员二维码, the consent
 * tick's checkbox); here the project's Taro plugins are applied to the weapp platform as `taro build
 * --type weapp` applies them, and the templates and the runtime must number each attribute alike.
 */

describe('weapp templates carry the screen-reader attributes', () => {
  it('binds aria-label on image and text and aria-role and aria-checked on view, numbered as the runtime numbers them', async () => {
    const { wxml, platformComponents, runtimePaths } = await weappTemplate()
    expect(bound(wxml, 'image', 'aria-label')).not.toBeNull()
    expect(bound(wxml, 'text', 'aria-label')).not.toBeNull()
    expect(bound(wxml, 'view', 'aria-role')).not.toBeNull()
    expect(bound(wxml, 'view', 'aria-checked')).not.toBeNull()

    const alias = runtimeAlias(platformComponents, runtimePaths)
    // the new attributes and the ones they sort beside: one out of step would give a view another's hover-class, an image another's src
    expect(bound(wxml, 'image', 'aria-label')).toBe(alias.image!.ariaLabel)
    expect(bound(wxml, 'image', 'src')).toBe(alias.image!.src)
    expect(bound(wxml, 'image', 'mode')).toBe(alias.image!.mode)
    expect(bound(wxml, 'view', 'aria-role')).toBe(alias.view!.ariaRole)
    expect(bound(wxml, 'view', 'aria-checked')).toBe(alias.view!.ariaChecked)
    expect(bound(wxml, 'view', 'hover-class')).toBe(alias.view!.hoverClass)
    expect(bound(wxml, 'view', 'animation')).toBe(alias.view!.animation)
    expect(bound(wxml, 'text', 'aria-role')).toBe(alias.text!.ariaRole)
    expect(bound(wxml, 'text', 'selectable')).toBe(alias.text!.selectable)
  })
})
