// The runtime half of ./index.js: the same attributes, so the runtime numbers them as the templates do.
import { mergeInternalComponents } from '@tarojs/shared'
import attributes from './attributes.json'

mergeInternalComponents(JSON.parse(JSON.stringify(attributes)))
