import * as contract from '../contracts/scenes';
import { action, type CloudFunction } from '../runtime/handler';
import { callerOpenid } from '../runtime/services';
import { bindOrder } from '../scenes/bind-order';
import { joinScene } from '../scenes/join';
import { resolveScene } from '../scenes/resolve';

/** The `scenes` cloud function: guide, store and package-card codes, and product links. */
export const scenesFunction: CloudFunction = {
  name: 'scenes',
  actions: {
    resolve: action({ input: contract.scenesResolve.input, run: (input, caller, services) => resolveScene(services, input, caller.openid) }),
    join: action({ input: contract.scenesJoin.input, run: (input, caller, services) => joinScene(services, callerOpenid(caller), input) }),
    bindOrder: action({
      input: contract.scenesBindOrder.input,
      run: (input, caller, services) => bindOrder(services, callerOpenid(caller), { platform: input.platform, orderId: input.orderId, campaignId: input.campaignId, requestId: input.requestId }),
    }),
  },
};
