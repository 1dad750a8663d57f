import { addCampaign } from '../../cloudfunctions/core/scenes/places.store';
import { openTestServices, type TestServices } from '../support/services';

let services: TestServices;
beforeEach(() => (services = openTestServices('2026-11-23T02:00:00Z')));
afterEach(() => services.close());

describe('campaign times as the operator reads them', () => {
  it('a campaign id already taken names the end of the one there in Beijing time, as campaigns list does', async () => {
    await addCampaign(services, { id: 'P12', name: '双12包裹卡', platform: 'tmall', bonus: 30, validTo: '2026-12-31', ordersFrom: '2026-12-01' });
    // not `until 2026-12-31T15:59:59.999Z`, which reads as the afternoon of the campaign's last day
    await expect(addCampaign(services, { id: 'P12', name: '双12包裹卡', platform: 'tmall', bonus: 50, validTo: '2026-12-31', ordersFrom: '2026-12-01' }))
      .rejects.toMatchObject({ code: 'CONFLICT', message: 'campaign P12 already exists: 双12包裹卡, bonus 30 on tmall orders paid from 2026-12-01 until 2026-12-31 23:59:59 Beijing' });
  });
});
