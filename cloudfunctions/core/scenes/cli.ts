import { InvalidArgumentError } from 'commander';
import { VALID_TO_FORMS } from '../codes/batch';
import type { CliContext } from '../local/cli';
import { beijingTime, plural } from '../local/wording';
import { AppError, isAppError } from '../runtime/errors';
import type { Services } from '../runtime/services';
import { addCampaign, addGuide, addStore, allCampaigns, allGuides, allStores, getCampaign, getGuide, getStore, guideLeft } from './places.store';
import { recruitReport } from './report';
import { campaignEnded, ORDER_LEAD_DAYS, ordersFromOf } from './places';
import { linkOf, sceneOf, type PlaceKind } from './scene';

const integer = (value: string) => {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('must be a whole number, at most 9 digits');
  return Number(value);
};

/** `stores add|list|scene`, `guides add|list|scene|left`, `campaigns add|list|scene`, `report guides`. */
export function registerSceneCommands({ program, run }: CliContext): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  /** The scene for wxacode.getUnlimited and the plain link for a printed QR code. */
  const printScene = (services: Services, kind: PlaceKind, id: string) => {
    out(`scene ${sceneOf(kind, id)}`);
    out(`link  ${linkOf(services.config.brandDomain, ({ guide: 'g', store: 's', packageCard: 'p' } as const)[kind], id)}`);
  };
  /** One place per line on stdout, for a script; how many on stderr, or that there are none yet. */
  const listCommand = <T>(parent: ReturnType<typeof program.command>, what: [string, string], places: (s: Services) => AsyncIterable<T>, line: (place: T, s: Services) => string) =>
    async (services: Services) => {
      let count = 0;
      for await (const place of places(services)) {
        count++;
        out(line(place, services));
      }
      process.stderr.write(count ? `${plural(count, what[0], what[1])}\n` : `no ${what[1]} yet (${parent.name()} add makes one)\n`);
    };
  const sceneCommand = (parent: ReturnType<typeof program.command>, kind: PlaceKind, find: (s: Services, id: string) => Promise<unknown>) =>
    parent
      .command('scene <id>')
      // the operator's word for the place, not the code's (`packageCard`)
      .description(`the ${({ guide: 'guide', store: 'store', packageCard: 'package card' } as const)[kind]}'s mini-program code: its scene (at most 32 characters) and plain link`)
      .action((id: string) => run(async (services) => {
        if (!(await find(services, id))) throw new AppError('NOT_FOUND', `no ${({ guide: 'guide', store: 'store', packageCard: 'campaign' } as const)[kind]} ${id}`);
        printScene(services, kind, id);
      }));

  const stores = program.command('stores').description('physical stores (scenes s=<id>)');
  stores
    .command('add')
    .description('add a store')
    .requiredOption('--name <name>', 'store name')
    .option('--id <id>', 'store code, 1-30 letters, digits, _ or - (default: made from name and city, so a rerun adds no second store)')
    .option('--city <city>', 'city')
    .action((options: { id?: string; name: string; city?: string }) => run(async (services) => {
      const { doc: store, repeated } = await addStore(services, options);
      out(`store ${store._id} ${repeated ? 'exists already (unchanged)' : 'added'}: ${store.name}${store.city ? ` (${store.city})` : ''}`);
      printScene(services, 'store', store._id);
    }, { createsDatabase: true }));
  stores
    .command('list')
    .description('every store, by id: id, name, city, when added')
    .action(() => run(listCommand(stores, ['store', 'stores'], (s) => allStores(s.store),
      (store) => `${store._id}\t${store.name}\t${store.city ?? '-'}\tadded ${beijingTime(store.createdAt)}`)));
  sceneCommand(stores, 'store', (s, id) => getStore(s.store, id));

  const guides = program.command('guides').description('shopping guides (导购; scenes g=<id>)');
  guides
    .command('add')
    .description('add a shopping guide to a store')
    .requiredOption('--store <storeId>', 'their store')
    .requiredOption('--name <name>', 'name shown to the consumer')
    .option('--id <id>', 'guide id, 1-30 letters, digits, _ or - (default: made from store and name)')
    .action((options: { store: string; name: string; id?: string }) => run(async (services) => {
      const { doc: guide, repeated } = await addGuide(services, { id: options.id, storeId: options.store, name: options.name });
      out(`guide ${guide._id} ${repeated ? 'exists already (unchanged) in' : 'added to'} store ${guide.storeId}: ${guide.name}${guide.status === 'left' ? ' (left)' : ''}`);
      printScene(services, 'guide', guide._id);
    }));
  guides
    .command('list')
    .description('every shopping guide, by id, or one store\'s: id, store, name, active or left')
    .option('--store <storeId>', 'only this store\'s guides')
    .action((options: { store?: string }) => run(async (services) => {
      if (options.store !== undefined && !(await getStore(services.store, options.store))) throw new AppError('NOT_FOUND', `no store ${options.store}`);
      await listCommand(guides, ['guide', 'guides'], (s) => allGuides(s.store, options.store),
        (guide) => `${guide._id}\t${guide.storeId}\t${guide.name}\t${guide.status}`)(services);
    }));
  sceneCommand(guides, 'guide', (s, id) => getGuide(s.store, id));
  guides
    .command('left <id>')
    .description('a guide who left: their code now leads to their store; earlier recruits stay credited')
    .action((id: string) => run(async (services) => {
      const guide = await guideLeft(services, id);
      out(guide.already
        ? `guide ${guide._id} had left already (unchanged); their scene joins store ${guide.storeId}`
        : `guide ${guide._id} marked as left; their scene now joins store ${guide.storeId}`);
    }));

  const campaigns = program.command('campaigns').description('package-card print runs (scenes p=<id>)');
  campaigns
    .command('add')
    .description('add a package-card campaign: an order bound through it earns the bonus once')
    .requiredOption('--bonus <points>', 'points an order bound through the card earns', integer)
    .requiredOption('--name <name>', 'campaign name shown to the consumer')
    .option('--platform <channel>', 'the order channel the cards ship with', 'tmall')
    .option('--id <id>', 'campaign id, 1-30 letters, digits, _ or - (default: made from name, platform, bonus and end)')
    .option('--valid-to <date>', `last day an order can be bound: ${VALID_TO_FORMS}`)
    .option('--orders-from <date>', `first day an order bound through the card may have been paid (YYYY-MM-DD, Beijing time; default: ${ORDER_LEAD_DAYS} days before today)`)
    .action((options: { bonus: number; name: string; platform: string; id?: string; validTo?: string; ordersFrom?: string }) => run(async (services) => {
      const { doc: campaign, repeated } = await addCampaign(services, options);
      out(`campaign ${campaign._id} ${repeated ? 'exists already (unchanged)' : 'added'}: ${campaign.name}, ${plural(campaign.bonus, 'point')} per ${campaign.platform} order paid from ${beijingTime(ordersFromOf(campaign)).slice(0, 10)}, ${campaign.validTo ? `until ${beijingTime(campaign.validTo)}` : 'no end date'}`);
      printScene(services, 'packageCard', campaign._id);
    }, { createsDatabase: true }));
  campaigns
    .command('list')
    .description('every package-card campaign, by id: id, name, platform, bonus, first day of orders, end')
    // tab-separated for a script: the bonus plain, without thousands separators
    .action(() => run(listCommand(campaigns, ['campaign', 'campaigns'], (s) => allCampaigns(s.store), (campaign, s) => {
      const end = campaign.validTo ? `${campaignEnded(campaign, s.clock.now()) ? 'ended' : 'until'} ${beijingTime(campaign.validTo)}` : 'no end date';
      return `${campaign._id}\t${campaign.name}\t${campaign.platform}\t${campaign.bonus} ${campaign.bonus === 1 ? 'point' : 'points'}\torders from ${beijingTime(ordersFromOf(campaign)).slice(0, 10)}\t${end}`;
    })));
  sceneCommand(campaigns, 'packageCard', (s, id) => getCampaign(s.store, id));

  const report = program.command('report').description('operator reports');
  report
    .command('guides')
    .description('members recruited (first touch, joined through the code) per store and per shopping guide: new members, and members of another channel apart')
    .option('--json', 'one JSON document instead of a table')
    .action((options: { json?: boolean }) => run(async (services) => {
      const result = await recruitReport(services);
      if (options.json) {
        out(JSON.stringify(result));
        return;
      }
      out(`store\tguide\tname\trecruited\talready members`);
      for (const store of result.stores) {
        out(`${store.storeId}\t\t${store.name}\t${store.recruited}\t${store.alreadyMembers}`);
        for (const guide of store.guides) out(`\t${guide.guideId}\t${guide.name}${guide.status === 'left' ? ' (left)' : ''}\t${guide.recruited}\t${guide.alreadyMembers}`);
      }
      out(`total\t\t\t${result.total}\t${result.alreadyMembers}`);
    }));
}
