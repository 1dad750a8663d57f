import { bound, runtimeAlias, weappTemplate } from '../support/weappTemplate'

/**
 * A loading view, an error or a join step's message is read out in WeChat when it appears only if
 * its aria-live reaches the component (WeChat has no live roles of its own to go by): the weapp
 * templates bind it on view and text, in every view template that carries the other aria
 * attributes (a view without a tap handler is drawn as static-view), numbered as the runtime numbers it.
 */
describe('weapp templates carry aria-live', () => {
  it('binds aria-live on view and text, numbered as the runtime numbers them', async () => {
    const { wxml, platformComponents, runtimePaths } = await weappTemplate()
    expect(bound(wxml, 'view', 'aria-live')).not.toBeNull()
    expect(bound(wxml, 'text', 'aria-live')).not.toBeNull()
    const alias = runtimeAlias(platformComponents, runtimePaths)
    expect(bound(wxml, 'view', 'aria-live')).toBe(alias.view!.ariaLive)
    expect(bound(wxml, 'text', 'aria-live')).toBe(alias.text!.ariaLive)
    // the attributes beside it stay in step
    expect(bound(wxml, 'view', 'aria-role')).toBe(alias.view!.ariaRole)
    expect(bound(wxml, 'view', 'hover-class')).toBe(alias.view!.hoverClass)
    expect(bound(wxml, 'text', 'selectable')).toBe(alias.text!.selectable)
  })

  it('every view and text template that carries aria-role carries aria-live too', async () => {
    const { wxml } = await weappTemplate()
    const tags = wxml.match(/<(view|text) [^>]*aria-role=[^>]*>/g) ?? []
    expect(tags.length).toBeGreaterThanOrEqual(3) // view, static-view, catch-view; text, static-text
    for (const tag of tags) expect(tag).toMatch(/ aria-live="\{\{/)
  })
})
