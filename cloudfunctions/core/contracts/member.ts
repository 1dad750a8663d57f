import * as z from 'zod/mini';

/** Events and answers of the `member` cloud function. */
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

export type MemberLoginResult = z.infer<typeof memberLogin.output>;
