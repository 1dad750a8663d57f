import { postEarn, postRedeem } from '../../cloudfunctions/core/points/ledger';
import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import { AppError } from '../../cloudfunctions/core/runtime/errors';
import { openTestServices, type TestServices } from '../support/services';
import { balance, seedMember } from './support';

describe('points under concurrency (SQLite adapter)', () => {
  let services: TestServices;
  beforeEach(async () => {
    services = openTestServices('2026-11-23T02:00:00Z');
    await seedMember(services, 'm1', ['wechat:o1', 'tmall:T1']);
  });
  afterEach(() => services.close());

  const earn = (key: string, accountId: string, points: number) =>
    services.store.transaction((tx) => postEarn(tx, services, { key, accountId, points, growth: points, at: '2026-11-01T00:00:00Z', source: { channel: 'code', ref: key } }));

  it('200 simultaneous earns with distinct keys and 200 retries of one key give exactly the expected balance', async () => {
    const distinct = Array.from({ length: 200 }, (_, i) => earn(`scan:C${i}`, i % 2 ? 'tmall:T1' : 'wechat:o1', 7));
    const retries = Array.from({ length: 200 }, () => earn('scan:SAME', 'wechat:o1', 50));
    const results = await Promise.all([...distinct, ...retries]);
    expect(results.filter((r) => !r.replayed)).toHaveLength(201);
    expect(await balance(services, 'm1')).toMatchObject({ points: 200 * 7 + 50, growth: 200 * 7 + 50, level: 'silver' });
    expect((await services.dump('ledger')).length).toBe(201);
    expect((await verifyPoints(services)).differences).toBe(0);
  });

  it('many simultaneous redemptions never spend more than the balance', async () => {
    await earn('scan:A', 'wechat:o1', 100);
    const attempts = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        services.store
          .transaction((tx) => postRedeem(tx, services, { key: `redeem:r${i}`, memberId: 'm1', points: 30, at: '2026-11-23T02:00:00Z', source: { channel: 'reward', ref: 'cup' } }))
          .then(() => 'ok', (e: unknown) => (e instanceof AppError ? e.code : 'error')),
      ),
    );
    expect(attempts.filter((a) => a === 'ok')).toHaveLength(3);
    expect(attempts.filter((a) => a === 'INSUFFICIENT_POINTS')).toHaveLength(47);
    expect(await balance(services, 'm1')).toMatchObject({ points: 10 });
  });
});
