import { memberLogin } from '../contracts/member';
import { login } from '../identity/login';
import { action, type CloudFunction } from '../runtime/handler';
import { callerOpenid } from '../runtime/services';

export const memberFunction: CloudFunction = {
  name: 'member',
  actions: {
    login: action({
      input: memberLogin.input,
      run: (_input, caller, services) => login(callerOpenid(caller), services),
    }),
  },
};

