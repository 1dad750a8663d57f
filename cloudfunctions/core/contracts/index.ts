export * from './errors';
export type { BindPhoneResult, ChannelsResult, LinkOfflineResult, MemberCodeResult, MemberLoginResult, ProfileResult } from './member';
export type { PointsHistoryEntry, PointsHistoryResult, PointsSummaryResult } from './points';
export type { CodesRedeemResult } from './codes';
export type { ScenesBindOrderResult, ScenesJoinResult, ScenesResolveResult } from './scenes';
import type * as z from 'zod/mini';
import type * as member from './member';
import type * as points from './points';
import type * as codes from './codes';
import type * as scenes from './scenes';

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
  points: {
    summary: { input: In<typeof points.pointsSummary>; output: points.PointsSummaryResult };
    history: { input: In<typeof points.pointsHistory>; output: points.PointsHistoryResult };
  };
  codes: {
    redeem: { input: In<typeof codes.codesRedeem>; output: codes.CodesRedeemResult };
  };
  scenes: {
    resolve: { input: In<typeof scenes.scenesResolve>; output: scenes.ScenesResolveResult };
    join: { input: In<typeof scenes.scenesJoin>; output: scenes.ScenesJoinResult };
    bindOrder: { input: In<typeof scenes.scenesBindOrder>; output: scenes.ScenesBindOrderResult };
  };
}

export type FunctionName = keyof Api;
export type ActionName<F extends FunctionName> = keyof Api[F] & string;
export type ActionInput<F extends FunctionName, A extends ActionName<F>> = Api[F][A] extends { input: infer I } ? I : never;
export type ActionOutput<F extends FunctionName, A extends ActionName<F>> = Api[F][A] extends { output: infer O } ? O : never;
