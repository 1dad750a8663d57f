import * as z from 'zod/mini';
import type { Services } from './services';
import { action, invoke, type CloudFunction } from './handler';
import { stderrLogger } from './log';
import { memberFunction } from '../functions/member';
import { pointsFunction } from '../functions/points';

describe('an action that fails unexpectedly', () => {
  const fn: CloudFunction = {
    name: 'probe',
    actions: {
      boom: action({
        input: z.object({ action: z.string() }),
        run: () => {
          throw new TypeError('a phone 13912345678 in a message is never logged');
        },
      }),
    },
  };

  it('answers INTERNAL and logs where it failed, the error name and a masked caller, on one line', async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const envelope = await invoke(fn, { action: 'boom' }, { openid: 'o_caller_123456', unionid: null, appid: 'wx1' }, { log: stderrLogger } as unknown as Services);
      expect(envelope).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
    } finally {
      spy.mockRestore();
    }
    expect(lines).toHaveLength(1);
    const logged = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(logged).toMatchObject({ level: 'error', event: 'action_failed', fn: 'probe', action: 'boom', caller: 'o_c…456', error: 'TypeError' });
    // the stack frame the failure came from, beside the time of the line
    expect(logged.where).toEqual(expect.stringContaining('handler.test.ts'));
    expect(logged.at).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    expect(lines[0]).not.toContain('13912345678');
  });

  it("logs an error's own code (SQLITE_FULL tells a full disk from a damaged file), and no code that is not a word of capitals", async () => {
    const failing = (code: unknown): CloudFunction => ({
      name: 'probe',
      actions: {
        boom: action({
          input: z.object({ action: z.string() }),
          run: () => {
            throw Object.assign(new Error('database or disk is full'), { code });
          },
        }),
      },
    });
    const logged = async (code: unknown) => {
      const lines: string[] = [];
      const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      });
      try {
        const envelope = await invoke(failing(code), { action: 'boom' }, { openid: 'o_caller_123456', unionid: null, appid: 'wx1' }, { log: stderrLogger } as unknown as Services);
        expect(envelope).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'internal error' } });
      } finally {
        spy.mockRestore();
      }
      return JSON.parse(lines[0]!) as Record<string, unknown>;
    };
    expect((await logged('SQLITE_FULL')).code).toBe('SQLITE_FULL');
    expect((await logged('SQLITE_READONLY_DBMOVED')).code).toBe('SQLITE_READONLY_DBMOVED');
    // a code that could carry someone's data, or none at all
    expect(await logged('phone 13912345678')).not.toHaveProperty('code');
    expect(await logged(28)).not.toHaveProperty('code');
    expect(await logged(undefined)).not.toHaveProperty('code');
  });
});

describe('an event the edge refuses', () => {
  // validation answers before any service is touched: none is given
  const refusal = async (fn: CloudFunction, event: unknown) => {
    const envelope = await invoke(fn, event, { openid: 'o_caller_123456', unionid: null, appid: 'wx1' }, {} as Services);
    if (envelope.ok) throw new Error('the event was accepted');
    expect(envelope.error.code).toBe('INVALID_INPUT');
    return envelope.error.message;
  };

  it('says which key is not taken, for a phone number sent in bindPhone (it must come from the phone button)', async () => {
    expect(await refusal(memberFunction, { action: 'bindPhone', code: 'c0de', phone: '13912345678' })).toBe('(event): unknown key "phone"');
  });

  it('says what is wrong with a value, never the value itself', async () => {
    const message = await refusal(pointsFunction, { action: 'history', limit: 0 });
    expect(message).toMatch(/^limit: must be at least 1/);
    expect(await refusal(memberFunction, { action: 'bindPhone', code: 13912345678 })).toBe('code: expected string');
  });

  it('shows a long unknown key cut short, so a key cannot carry a value back at length', async () => {
    const key = `x${'9'.repeat(200)}`;
    const message = await refusal(memberFunction, { action: 'bindPhone', code: 'c0de', [key]: 1 });
    expect(message.length).toBeLessThan(80);
  });
});
