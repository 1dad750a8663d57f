export * from './errors';
export type { BindPhoneResult, ChannelsResult, LinkOfflineResult, MemberCodeResult, MemberLoginResult, ProfileResult } from './member';
import type * as z from 'zod/mini';
import type * as member from './member';

/** An action's event fields without `action` (the client adds it). */
type In<S extends { input: z.ZodMiniType }> = Omit<z.infer<S['input']>, 'action' | 'userInfo'>;

/** Every cloud function's actions, for the typed API client of the pages. Types only. */
export interface Api {
  member: {
    login: { input: In<typeof member.memberLogin>; output: member.MemberLoginResult };
    consent: { input: In<typeof member.memberConsent>; output: member.MemberLoginResult };
    bindPhone: { input: In<typeof member.memberBindPhone>; output: member.BindPhoneResult };
    profile: { input: In<typeof member.memberProfile>; output: member.ProfileResult };
    updateProfile: { input: In<typeof member.memberUpdateProfile>; output: member.ProfileResult };
    channels: { input: In<typeof member.memberChannels>; output: member.ChannelsResult };
    linkOffline: { input: In<typeof member.memberLinkOffline>; output: member.LinkOfflineResult };
    memberCode: { input: In<typeof member.memberMemberCode>; output: member.MemberCodeResult };
    delete: { input: In<typeof member.memberDelete>; output: { deleted: true } };
  };
}

export type FunctionName = keyof Api;
export type ActionName<F extends FunctionName> = keyof Api[F] & string;
export type ActionInput<F extends FunctionName, A extends ActionName<F>> = Api[F][A] extends { input: infer I } ? I : never;
export type ActionOutput<F extends FunctionName, A extends ActionName<F>> = Api[F][A] extends { output: infer O } ? O : never;
