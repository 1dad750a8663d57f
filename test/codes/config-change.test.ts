import { verifyPoints } from '../../cloudfunctions/core/points/verify.store';
import { makeBatch, redeem } from './support';
import { boundConsumer } from '../support/members';
import { openTestServices, reconfigured, type TestServices } from '../support/services';

describe('codes config changed with batches on the shelves', () => {
  let services: TestServices;
  beforeEach(() => { services = openTestServices(); });
  afterEach(() => services.close());

  it('lowering codes.maxPoints caps new batches; a batch codes create made and checked under the old cap still pays its points', async () => {
    await boundConsumer(services, 'u1', '13912345678');
    const { batch, codes } = await makeBatch(services, { points: 500 });
    expect(batch.status).toBe('active');
    // the brand lowers the cap for future print runs; the 500-point run is printed and sold
    const live = reconfigured(services, (config) => { config.codes.maxPoints = 100; });
    const scan = await redeem(live, 'u1', { code: codes[0] });
    // not 该码已停用 for genuine goods the consumer bought (codes list still says the batch is active)
    expect(scan).toMatchObject({ ok: true, data: { points: 500 } });
    await expect(makeBatch(live, { points: 500 })).rejects.toThrow(/points must be an integer from 1 to 100/);
    expect((await verifyPoints(live)).differences).toBe(0);
  });
});
