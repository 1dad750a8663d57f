import { failureMessage } from '../../cloudfunctions/core/local/cli';
import { StoreBusyError } from '../../cloudfunctions/core/store/port';

describe('a CLI command refused because another process held the database', () => {
  it('says who held it, what stays and what to do, not the cloud store\'s "conflicting writes"', () => {
    // the server or an import in another process kept the write lock past the command's busy timeout
    const locked = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    const message = failureMessage(new StoreBusyError(locked));
    expect(message).not.toMatch(/conflicting writes/);
    expect(message).toBe('database is locked: another command or the server held the database for more than 5 s. '
      + 'What earlier transactions wrote stays (an import keeps the batches before this one); run the same command again');
  });
});
