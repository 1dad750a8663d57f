export * from './errors';
export type { MemberLoginResult } from './member';

/** Every cloud function's actions, for the typed API client of the pages. */
export interface Api {
  member: {
    login: { input: Record<string, never>; output: import('./member').MemberLoginResult };
  };
}

export type FunctionName = keyof Api;
export type ActionName<F extends FunctionName> = keyof Api[F] & string;
export type ActionInput<F extends FunctionName, A extends ActionName<F>> = Api[F][A] extends { input: infer I } ? I : never;
export type ActionOutput<F extends FunctionName, A extends ActionName<F>> = Api[F][A] extends { output: infer O } ? O : never;
