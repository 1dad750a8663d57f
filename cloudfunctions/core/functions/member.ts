import * as contract from '../contracts/member';
import { deleteMember } from '../identity/erase';
import { issueMemberCode } from '../identity/member-code';
import { linkOffline } from '../identity/offline-link';
import { bindPhone, channels, consent, login, profile, updateProfile } from '../identity/wechat';
import { action, type CloudFunction } from '../runtime/handler';
import { callerOpenid, type Caller } from '../runtime/services';

const me = (caller: Caller) => ({ ...caller, openid: callerOpenid(caller) });

/** The `member` cloud function: the consumer's own identity. */
export const memberFunction: CloudFunction = {
  name: 'member',
  actions: {
    login: action({ input: contract.memberLogin.input, run: (_input, caller, services) => login(services, me(caller)) }),
    consent: action({ input: contract.memberConsent.input, run: (input, caller, services) => consent(services, me(caller), input.version) }),
    bindPhone: action({ input: contract.memberBindPhone.input, run: (input, caller, services) => bindPhone(services, me(caller), input.code) }),
    profile: action({ input: contract.memberProfile.input, run: (_input, caller, services) => profile(services, me(caller)) }),
    updateProfile: action({
      input: contract.memberUpdateProfile.input,
      run: (input, caller, services) => updateProfile(services, me(caller), { nickname: input.nickname, birthday: input.birthday }),
    }),
    channels: action({ input: contract.memberChannels.input, run: (_input, caller, services) => channels(services, me(caller)) }),
    linkOffline: action({ input: contract.memberLinkOffline.input, run: (input, caller, services) => linkOffline(services, me(caller), input.cardNo, input.last4) }),
    memberCode: action({ input: contract.memberMemberCode.input, run: (_input, caller, services) => issueMemberCode(services, me(caller)) }),
    delete: action({ input: contract.memberDelete.input, run: (_input, caller, services) => deleteMember(services, me(caller)) }),
  },
};
