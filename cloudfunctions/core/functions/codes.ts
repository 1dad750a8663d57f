import { redeemCode } from '../codes/redeem';
import * as contract from '../contracts/codes';
import { action, type CloudFunction } from '../runtime/handler';
import { callerOpenid } from '../runtime/services';

/** The `codes` cloud function: one-item-one-code scans. */
export const codesFunction: CloudFunction = {
  name: 'codes',
  actions: {
    redeem: action({ input: contract.codesRedeem.input, run: (input, caller, services) => redeemCode(services, callerOpenid(caller), input) }),
  },
};
