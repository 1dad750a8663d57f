// Personal data left where no one asked for it: an erased consumer's profile still readable in the
// database file, and an export of every member's identifiers readable by every account on the machine.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { openLocalServices } from '../../cloudfunctions/core/local/services';
import { fixedClock } from '../../cloudfunctions/core/runtime/clock';
import { sequentialIds } from '../../cloudfunctions/core/runtime/ids';
import { silentLogger } from '../../cloudfunctions/core/runtime/log';
import { runCli } from '../support/cli';
import { boundConsumer, importMembers, memberOk } from '../support/members';
import { tempDir } from '../support/temp';

describe('personal data outside the documents meant for it', () => {
  const temp = tempDir('mc-personal-data-');
  afterAll(() => temp.cleanup());

  it('member.delete leaves no trace of the erased nickname, birthday, name or email in the database file', async () => {
    const dbFile = temp.file('erase.db');
    const services = openLocalServices({ dbFile, clock: fixedClock('2026-11-23T02:00:00Z'), ids: sequentialIds(), log: silentLogger });
    // a store card brought by an import (name, email), the same phone bound in the mini-program, a profile
    await importMembers(services, 'offline', [{ channelMemberId: 'C001', phone: '13912345678', name: '张伟测', email: 'zhangwei.test@example.com' }]);
    await boundConsumer(services, 'u1', '13912345678');
    await memberOk(services, 'u1', { action: 'updateProfile', nickname: '张伟测昵称', birthday: '1990-05-01' });
    expect(await memberOk(services, 'u1', { action: 'delete', confirm: true })).toEqual({ deleted: true });
    await services.store.close();

    const stored = [dbFile, `${dbFile}-wal`].filter(existsSync).map((file) => readFileSync(file).toString('utf8')).join('\n');
    expect(['张伟测昵称', '1990-05-01', '张伟测', 'zhangwei.test@example.com'].filter((erased) => stored.includes(erased))).toEqual([]);
  });

  it('members export --out is readable by its owner alone, as the database and the rejects file are', async () => {
    const db = temp.file('export.db');
    const file = temp.write('members.csv', 'channelMemberId,phone,name,email\nC001,13912345678,张伟测,zhangwei.test@example.com\n');
    expect((await runCli(db, 'import', 'members', '--channel', 'offline', '--file', file)).failed).toBe(false);
    const out = temp.file('members.jsonl');
    const run = await runCli(db, 'members', 'export', '--out', out);
    expect(run.failed).toBe(false);
    expect(readFileSync(out, 'utf8')).toContain('zhangwei.test@example.com');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(statSync(db).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['members', 'C001,13912345678,张伟测,zhangwei.test@example.com\nC002,15987654321,李娜测,\n'],
    ['orders', '9001,13912345678,张伟测,100.00\n9002,15987654321,李娜测,50.00\n'],
  ])('import %s of a file without its header row refuses it without printing its first customer', async (what, rows) => {
    const db = temp.file(`noheader-${what}.db`);
    const run = await runCli(db, 'import', what, '--channel', 'offline', '--file', temp.write(`noheader-${what}.csv`, rows));
    expect(run.failed).toBe(true);
    expect(run.err).toMatch(/nothing was imported/);
    expect(['13912345678', '张伟测', 'zhangwei.test@example.com'].filter((data) => `${run.out}${run.err}`.includes(data))).toEqual([]);
  });

  it('shows a header of words alone (会员卡号,手机号,姓名) as the header it is, and never the customer under it', async () => {
    const db = temp.file('zh.db');
    const file = temp.write('zh.csv', '会员卡号,手机号,姓名\nC001,13912345678,张伟测\n');
    const run = await runCli(db, 'import', 'members', '--channel', 'offline', '--file', file);
    expect(run.failed).toBe(true);
    expect(run.err).toMatch(/its header is: 会员卡号,手机号,姓名.*nothing was imported/);
    expect(run.err).not.toContain('13912345678');
  });
});
