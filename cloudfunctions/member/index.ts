// The `member` cloud function: login, consent, phone binding, profile, member code.
import { memberFunction } from '../core/functions/member';
import { cloudEntry } from '../core/runtime/cloud';

export const main = cloudEntry(memberFunction);
