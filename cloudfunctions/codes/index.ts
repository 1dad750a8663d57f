// The `codes` cloud function: redeeming one-item-one-code product codes.
import { codesFunction } from '../core/functions/codes';
import { cloudEntry } from '../core/runtime/cloud';

export const main = cloudEntry(codesFunction);
