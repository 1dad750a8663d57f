import * as z from 'zod/mini';
import { memberFunction } from '../functions/member';
import { invoke } from './handler';
import { describeIssues } from './issues';
import type { Services } from './services';

describe('INVALID_INPUT for a value the schema names', () => {
  it('says what member.delete takes for confirm, not the bare "Invalid input" of zod/mini', async () => {
    // validation answers before any service is touched: none is given
    const envelope = await invoke(memberFunction, { action: 'delete', confirm: 'yes' }, { openid: 'o_caller_123456', unionid: null, appid: 'wx1' }, {} as Services);
    expect(envelope).toEqual({ ok: false, error: { code: 'INVALID_INPUT', message: 'confirm: must be true' } });
  });

  it('names the values an enum takes, a few at most, and never the one sent', () => {
    const status = z.object({ status: z.enum(['pending', 'confirmed', 'refused']) });
    const message = describeIssues(status.safeParse({ status: '13912345678' }).error!.issues, '(event)');
    expect(message).toBe('status: must be "pending" or "confirmed" or "refused"');
    const many = z.object({ day: z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']) });
    expect(describeIssues(many.safeParse({ day: 'x' }).error!.issues, '(event)')).toBe('day: must be "mon" or "tue" or "wed" or "thu" or "fri" or …');
  });
});

describe('INVALID_INPUT for a length', () => {
  it('counts one character or entry in the singular', () => {
    const shape = z.object({ code: z.string().check(z.minLength(1)), tags: z.array(z.string()).check(z.minLength(1)), name: z.string().check(z.maxLength(2)) });
    expect(describeIssues(shape.safeParse({ code: '', tags: [], name: 'abc' }).error!.issues, '(event)'))
      .toBe('code: must be at least 1 character; tags: must be at least 1 entry; name: must be at most 2 characters');
  });
});
