import * as z from 'zod/mini';
import type { Services } from './services';
import { action, invoke, type CloudFunction } from './handler';
import { stderrLogger } from './log';

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
});
