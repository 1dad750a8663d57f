import { bound, runtimeAlias, weappTemplate } from '../support/weappTemplate'

/**
 * The marks drawn for the eye alone (the ! and ✓ in a circle, a row's ›) are hidden from WeChat's
 * screen reader only if aria-hidden reaches the component, and a text box keeps its name once its
 * placeholder is gone only if its aria-label does: the weapp templates bind aria-hidden on view,
 * text and image and aria-label on input, numbered as the runtime numbers them (an input attribute
 * out of step would give a box another's value or maxlength).
 */
describe('weapp templates carry aria-hidden, and an input its aria-label', () => {
  it('binds aria-hidden on view, text and image and aria-label on input, numbered as the runtime numbers them', async () => {
    const { wxml, platformComponents, runtimePaths } = await weappTemplate(['view', 'image', 'text', 'input'])
    const alias = runtimeAlias(platformComponents, runtimePaths)
    for (const [tag, key] of [['view', 'view'], ['text', 'text'], ['image', 'image']] as const) {
      expect(bound(wxml, tag, 'aria-hidden')).not.toBeNull()
      expect(bound(wxml, tag, 'aria-hidden')).toBe(alias[key]!.ariaHidden)
      expect(bound(wxml, tag, 'aria-label')).toBe(alias[key]!.ariaLabel)
    }
    expect(bound(wxml, 'input', 'aria-label')).not.toBeNull()
    expect(bound(wxml, 'input', 'aria-label')).toBe(alias.input!.ariaLabel)
    // the input's own attributes beside it stay in step
    for (const [attribute, key] of [['value', 'value'], ['placeholder', 'placeholder'], ['maxlength', 'maxlength'], ['disabled', 'disabled'], ['type', 'type'], ['always-embed', 'alwaysEmbed'], ['auto-fill', 'autoFill']] as const) {
      expect(bound(wxml, 'input', attribute)).toBe(alias.input![key])
    }
    expect(bound(wxml, 'view', 'hover-class')).toBe(alias.view!.hoverClass)
    expect(bound(wxml, 'image', 'src')).toBe(alias.image!.src)
  })

  it('every view, text and image template that carries aria-role carries aria-hidden too', async () => {
    const { wxml } = await weappTemplate()
    const tags = wxml.match(/<(view|text|image) [^>]*aria-role=[^>]*>/g) ?? []
    expect(tags.length).toBeGreaterThanOrEqual(4)
    for (const tag of tags) expect(tag).toMatch(/ aria-hidden="\{\{/)
  })
})
