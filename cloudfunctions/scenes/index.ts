// The `scenes` cloud function: shopping-guide, store and package-card scenes, order binding.
import { scenesFunction } from '../core/functions/scenes';
import { cloudEntry } from '../core/runtime/cloud';

export const main = cloudEntry(scenesFunction);
