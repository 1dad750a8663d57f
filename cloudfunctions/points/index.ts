// The `points` cloud function: balance summary and history of the caller's points.
import { pointsFunction } from '../core/functions/points';
import { cloudEntry } from '../core/runtime/cloud';

export const main = cloudEntry(pointsFunction);
