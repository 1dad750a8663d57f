import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import type { AccountDoc } from '../../cloudfunctions/core/points/types';
import { cliOnFreshDatabase } from '../support/cli';

/**
 * A refund after an operator's correction of growth (`points adjust … --growth -G`): the refund
 * takes back its order's growth, but not what the correction already took, so no account is left
 * below zero (an unmerge would hand that negative growth to one side, and a level reads it).
 */
describe('a refund after points adjust --growth took the order growth away', () => {
  const fresh = cliOnFreshDatabase();
  const file = (name: string, text: string) => (writeFileSync(fresh.temp.file(name), text), fresh.temp.file(name));
  const cli = async (...args: string[]) => (await fresh.cli(...args)).out;
  type Line = { memberId: string; identifiers: { type: string; value: string }[]; growth: number; level: string };
  const holding = async (value: string) =>
    (await cli('members', 'export')).trim().split('\n').map((l) => JSON.parse(l) as Line).find((m) => m.identifiers.some((i) => i.type === 'tmall' && i.value === value))!;
  const account = (id: string) => {
    const db = new Database(fresh.db, { readonly: true });
    try {
      return JSON.parse(db.prepare('SELECT body FROM doc_accounts WHERE id = ?').pluck().get(id) as string) as AccountDoc;
    } finally {
      db.close();
    }
  };
  const orders = (status: string) => file(`orders-${status}.csv`, `channelMemberId,orderId,amountFen,paidAt,status\nT1,9001,9900,2026-11-20 10:00:00,${status}\n`);

  it('leaves the account at zero growth, not below, and verify finds nothing', async () => {
    await cli('import', 'members', '--channel', 'tmall', '--file', file('members.csv', 'channelMemberId,points,growth\nT1,0,0\n'));
    await cli('import', 'orders', '--channel', 'tmall', '--file', orders('paid'));
    const member = (await holding('T1')).memberId;
    expect(account('tmall:T1')).toMatchObject({ growth: 99 });

    // the order's growth was counted twice by a migration: the operator takes 60 back
    await cli('points', 'adjust', member, '0', '--growth', '-60', '--reason', '成长值重复', '--request-id', 'g1');
    expect(account('tmall:T1')).toMatchObject({ growth: 39 });

    // then the order is refunded: it takes back what is left of its growth, never more
    await cli('import', 'orders', '--channel', 'tmall', '--file', orders('refunded'));
    expect(account('tmall:T1').growth).toBe(0);
    expect(await holding('T1')).toMatchObject({ growth: 0, level: 'normal' });
    expect(await cli('points', 'verify')).toMatch(/no differences/);

    // and a later correction upward finds the member at zero, as the history says
    await cli('points', 'adjust', member, '0', '--growth', '1000', '--reason', '补录成长值', '--request-id', 'g2');
    expect(await holding('T1')).toMatchObject({ growth: 1000, level: 'silver' });
  });
});
