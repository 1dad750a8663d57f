import * as z from 'zod/mini';
import { isDisplayableName, NICKNAME_MAX_UNITS, userCharacters } from './text';

/** Events and answers of the `member` cloud function. */

/** WeChat adds `userInfo` to every callFunction event; it is ignored, never trusted. */
const wechatExtras = { userInfo: z.optional(z.unknown()) };

export const memberLogin = {
  input: z.object({ action: z.literal('login') }),
  output: z.object({
    memberId: z.string(),
    isNew: z.boolean(),
    phoneBound: z.boolean(),
    consented: z.boolean(),
    termsVersion: z.string(),
  }),
};

export const memberConsent = {
  input: z.object({ action: z.literal('consent'), version: z.string().check(z.minLength(1), z.maxLength(32)) }),
};

export const memberBindPhone = {
  // strict: a phone number in the event is refused, not ignored
  input: z.strictObject({ action: z.literal('bindPhone'), code: z.string().check(z.minLength(1), z.maxLength(128)), ...wechatExtras }),
  output: z.object({ memberId: z.string(), phoneMasked: z.string(), merged: z.boolean() }),
};

export const memberProfile = {
  input: z.object({ action: z.literal('profile') }),
  output: z.object({ memberId: z.string(), nickname: z.nullable(z.string()), birthday: z.nullable(z.string()), phoneMasked: z.nullable(z.string()) }),
};

const birthday = z.string().check(
  z.regex(/^\d{4}-\d{2}-\d{2}$/),
  z.refine((value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value), 'not a date'),
  // set once and never changed: a slip to year 0001 could not be put right
  z.refine((value) => value >= '1900-01-01', 'birthday before 1900'),
);

const nickname = z.string().check(
  z.trim(),
  z.minLength(1),
  // in characters as the consumer sees them: an emoji is one, not two UTF-16 units
  z.refine((value) => userCharacters(value).length <= 20, 'nickname must be at most 20 characters'),
  // and in code units: accents stacked on one letter would otherwise count as one character
  z.maxLength(NICKNAME_MAX_UNITS),
  z.refine(isDisplayableName, 'nickname must be visible text without control characters'),
);

export const memberUpdateProfile = {
  input: z.object({
    action: z.literal('updateProfile'),
    /** null clears it. */
    nickname: z.optional(z.nullable(nickname)),
    birthday: z.optional(birthday),
  }),
};

export const memberChannels = {
  input: z.object({ action: z.literal('channels') }),
  output: z.object({
    wechat: z.boolean(), phone: z.boolean(), tmall: z.boolean(), offline: z.boolean(), jd: z.boolean(),
    /** No store card linked yet, and a card without a phone the caller submitted (linkOffline) waits for staff. */
    offlinePending: z.boolean(),
    /** No store card linked, none waiting, and staff refused one the caller submitted. */
    offlineRefused: z.boolean(),
  }),
};

export const memberLinkOffline = {
  input: z.object({
    action: z.literal('linkOffline'),
    cardNo: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_\-.]{0,63}$/)),
    last4: z.optional(z.string().check(z.regex(/^\d{4}$/))),
  }),
  output: z.object({ status: z.enum(['linked', 'pending']), memberId: z.string() }),
};

export const memberMemberCode = {
  input: z.object({ action: z.literal('memberCode') }),
  /**
   * `token` for the QR code; `barcode` (digits) for a Code 128 barcode at the till. `issuedAt` and
   * `expiresAt` are the server's clock: the page times the code's life from their difference, since
   * a phone's clock may be set minutes off.
   */
  output: z.object({ token: z.string(), barcode: z.nullable(z.string()), issuedAt: z.string(), expiresAt: z.string() }),
};

export const memberDelete = {
  input: z.object({ action: z.literal('delete'), confirm: z.literal(true) }),
  output: z.object({ deleted: z.literal(true) }),
};

export type MemberLoginResult = z.infer<typeof memberLogin.output>;
export type BindPhoneResult = z.infer<typeof memberBindPhone.output>;
export type ProfileResult = z.infer<typeof memberProfile.output>;
export type ChannelsResult = z.infer<typeof memberChannels.output>;
export type LinkOfflineResult = z.infer<typeof memberLinkOffline.output>;
export type MemberCodeResult = z.infer<typeof memberMemberCode.output>;
