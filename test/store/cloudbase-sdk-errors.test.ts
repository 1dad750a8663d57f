/**
 * The CloudBase adapter's transactions against what wx-server-sdk 4.0.2 / @cloudbase/database 1.4.3
 * and CloudBase really answer when they refuse one.
 *
 * The shared responder only ever refuses a colliding write with code DATABASE_TRANSACTION_CONFLICT
 * and MongoDB's "WriteConflict ..." text. CloudBase itself words its transaction refusals as
 * `[ResourceUnavailable.<Reason>] ...` (seen in production logs quoted below), and wx-server-sdk
 * drops the server's code for anything raised inside a transaction callback:
 *
 *  - node_modules/wx-server-sdk/index.js, helper/error-checker.ts `checkError`:
 *      errCode: TCB_ERR_CODE[tcbResult.code] || TCB_ERR_CODE.SYS_ERR, errMsg: tcbResult.message
 *    and TCB_ERR_CODE (api/cloud/provider/tcb/config/error.config.ts) has no
 *    DATABASE_TRANSACTION_CONFLICT / DATABASE_TRANSACTION_FAIL entry, so every transaction refusal
 *    inside the callback becomes errCode -501001 with only the server's message left;
 *  - the commit goes around wx-server-sdk's wrappers (wx runTransaction hands the callback to
 *    @cloudbase/database's runTransaction, which commits itself: transaction/index.js `commit()`), and
 *    @cloudbase/node-sdk's requester throws any answer with a `code` as
 *    `new TcbError({ code, message, requestId })` (dist/utils/tcbapirequester.js `request` ->
 *    dist/utils/utils.js `processReturn`/`TcbError`): an Error with `code`, but no errCode.
 *
 * Real CloudBase messages (WeChat developer community, quoted from function logs):
 *  - https://developers.weixin.qq.com/community/develop/doc/0004ea401a8f902d7c7d3790056c00
 *      "collection.add:fail -501001 resource system error. [ResourceUnavailable.TransactionBusy]
 *       Transaction is busy. Please check your request, but if the problem persists, contact us."
 *      (answer from WeChat staff: "这个是事务锁报错了" — it is the transaction lock, i.e. a write conflict)
 *  - https://developers.weixin.qq.com/community/personal/oCJUsw9XZoQs5Kis7Owp2u1ajCfk/answer
 *      { code: 'DATABASE_TRANSACTION_FAIL', message: '[ResourceUnavailable.TransactionNotExist]
 *        Transaction does not exist on the server, transaction must be commit or abort in 30 seconds. ...' }
 */
import * as z from 'zod/mini';
import { action, invoke, type CloudFunction } from '../../cloudfunctions/core/runtime/handler';
import { silentLogger } from '../../cloudfunctions/core/runtime/log';
import type { Services } from '../../cloudfunctions/core/runtime/services';
import { CloudBaseStore } from '../../cloudfunctions/core/store/cloudbase';
import { StoreBusyError } from '../../cloudfunctions/core/store/port';
import { CloudBaseResponder } from '../support/cloudbase-responder';

const responder = new CloudBaseResponder();
let cloud: typeof import('wx-server-sdk');
let store: CloudBaseStore;

beforeAll(async () => {
  await responder.start();
  cloud = responder.sdk();
  store = new CloudBaseStore(cloud.database());
});
afterAll(async () => {
  await responder.stop();
});
beforeEach(() => responder.reset());

/** CloudBase's own wording for a write lock held by another transaction (production log above). */
const TRANSACTION_BUSY = '[ResourceUnavailable.TransactionBusy] Transaction is busy. Please check your request, but if the problem persists, contact us.';
/** CloudBase's wording for a transaction it no longer holds (production log above). */
const TRANSACTION_NOT_EXIST = '[ResourceUnavailable.TransactionNotExist] Transaction does not exist on the server, transaction must be commit or abort in 30 seconds. Please check your request, but if the problem persists, contact us.';

const member = (id: string) => ({ _id: id, status: 'active', points: 12 });

describe('a write refused as TransactionBusy inside the callback', () => {
  it.each([
    // whatever code the server puts on it, wx-server-sdk turns it into -501001 and keeps only the message
    ['DATABASE_TRANSACTION_FAIL', 'database.modifyDocument'],
    ['DATABASE_TRANSACTION_CONFLICT', 'database.modifyDocument'],
    ['DATABASE_TRANSACTION_FAIL', 'database.insertDocument'],
  ])('server code %s on %s: the transaction reruns and commits', async (code, refused) => {
    responder.seed('members', member('hot'));
    responder.answerNext(refused, { code, message: TRANSACTION_BUSY });
    let runs = 0;
    const outcome = await store.transaction(async (tx) => {
      runs += 1;
      await tx.increment('members', 'hot', { points: 1 });
      await tx.create('members', member(`new-${runs}`));
      return runs;
    }).catch((error: unknown) => error);
    expect(outcome).toBe(2);
    expect(responder.peek('members', 'hot')).toMatchObject({ points: 13 });
  });

  it('a transaction that stays busy answers the envelope CONFLICT (retry), not INTERNAL', async () => {
    responder.seed('members', member('hotter'));
    for (let i = 0; i < 10; i++) responder.answerNext('database.modifyDocument', { code: 'DATABASE_TRANSACTION_FAIL', message: TRANSACTION_BUSY });
    const fn: CloudFunction = {
      name: 'probe',
      actions: {
        earn: action({
          input: z.object({ action: z.string() }),
          run: (_input, _caller, services) => services.store.transaction((tx) => tx.increment('members', 'hotter', { points: 1 })),
        }),
      },
    };
    const services = { store, log: silentLogger } as unknown as Services;
    const envelope = await invoke(fn, { action: 'earn' }, { openid: 'o1', unionid: null, appid: 'wx1' }, services);
    expect(envelope).toEqual({ ok: false, error: { code: 'CONFLICT', message: expect.any(String) } });
    expect(responder.peek('members', 'hotter')).toMatchObject({ points: 12 });
  });
});

describe('a commit refused by CloudBase with code DATABASE_TRANSACTION_FAIL', () => {
  it('the commit\'s TransactionNotExist (committed nothing) runs the callback again', async () => {
    responder.seed('members', member('late'));
    responder.answerNext('database.commitTransaction', { code: 'DATABASE_TRANSACTION_FAIL', message: TRANSACTION_NOT_EXIST });
    let runs = 0;
    const outcome = await store.transaction(async (tx) => {
      runs += 1;
      await tx.increment('members', 'late', { points: 1 });
      return runs;
    }).catch((error: unknown) => error);
    expect(outcome).toBe(2);
    expect(responder.peek('members', 'late')).toMatchObject({ points: 13 });
  });

  it('the commit\'s TransactionBusy is a conflict too: rerun, and StoreBusyError (not a TcbError) when it persists', async () => {
    responder.seed('members', member('contended'));
    for (let i = 0; i < 10; i++) responder.answerNext('database.commitTransaction', { code: 'DATABASE_TRANSACTION_FAIL', message: TRANSACTION_BUSY });
    const error = await store.transaction((tx) => tx.increment('members', 'contended', { points: 1 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreBusyError);
    expect(responder.actions().filter((a) => a === 'database.startTransaction').length).toBeGreaterThan(1);
  });
});

