import * as contract from '../contracts/points';
import { callerMember } from '../points/member.store';
import { pointsHistory, pointsSummary } from '../points/summary.store';
import { action, type CloudFunction } from '../runtime/handler';
import { callerOpenid, type Caller } from '../runtime/services';
import type { Services } from '../runtime/services';

const memberOf = (caller: Caller, services: Services) => callerMember(services.store.get.bind(services.store), callerOpenid(caller));

/** The `points` cloud function: the consumer's own balance, level and history. Read-only. */
export const pointsFunction: CloudFunction = {
  name: 'points',
  actions: {
    summary: action({
      input: contract.pointsSummary.input,
      run: async (_input, caller, services) => pointsSummary(services, await memberOf(caller, services)),
    }),
    history: action({
      input: contract.pointsHistory.input,
      run: async (input, caller, services) =>
        pointsHistory(services, await memberOf(caller, services), { cursor: input.cursor ?? null, limit: input.limit ?? 20 }),
    }),
  },
};
