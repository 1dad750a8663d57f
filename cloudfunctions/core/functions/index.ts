import type { CloudFunction } from '../runtime/handler';
import { memberFunction } from './member';
import { pointsFunction } from './points';
import { codesFunction } from './codes';
import { scenesFunction } from './scenes';

/** Every cloud function by name: the local runtime serves these at POST /cloud/NAME. */
export const cloudFunctions: Record<string, CloudFunction> = {
  member: memberFunction,
  points: pointsFunction,
  codes: codesFunction,
  scenes: scenesFunction,
};
