import type { Browser, Page } from 'playwright-core';
import { makeBatch, redeem } from '../codes/support';
import { boundConsumer, importMembers } from '../support/members';
import { launchBrowser, startRuntime, visible } from './browser';

/**
 * A time in a sentence (until when a store card is locked, when a scanned code was used) read on
 * phones 320 to 414 px wide, in Chromium against the dev runtime: its date stays on one line.
 * Chinese breaks between any two characters, so a message could end a line with 2026 and start
 * the next with 年12月8日 20:27, which reads as two numbers rather than one time.
 */
jest.setTimeout(180_000);

const CONSUMER = 'dev_wrap';
let runtime: Awaited<ReturnType<typeof startRuntime>>;
let browser: Browser;
let usedUrl: string;
let ownUrl: string;

beforeAll(async () => {
  runtime = await startRuntime();
  const { services } = runtime;
  await importMembers(services, 'offline', [{ channelMemberId: 'VIP_WRAP', phone: '13800009999', points: 300, growth: 300, name: '李先生', storeId: 'SH001' }]);
  await boundConsumer(services, CONSUMER, '13711116666');
  await boundConsumer(services, 'dev_wrap_first', '13711117777');
  [usedUrl = '', ownUrl = ''] = (await makeBatch(services, { count: 2, points: 1500 })).urls;
  for (const [openid, q] of [['dev_wrap_first', usedUrl], [CONSUMER, ownUrl]] as const) {
    const scanned = await redeem(services, openid, { q, requestId: `wrap-${openid}` });
    if (!scanned.ok) throw new Error(scanned.error.code);
  }
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

const DATE = /\d{4}年\d{1,2}月\d{1,2}日/;

/** For each width, the lines that what `pattern` matches in the visible text holding `around` takes (1: unbroken). */
async function linesOf(page: Page, around: string, widths: number[], pattern = DATE): Promise<Record<number, number>> {
  const lines: Record<number, number> = {};
  for (const width of widths) {
    await page.setViewportSize({ width, height: 640 });
    // a string, not a function: the test's compiler would name helpers the page does not have
    lines[width] = await page.evaluate(`(() => {
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.data.includes(${JSON.stringify(around)}) || !node.parentElement.offsetParent) continue;
        const match = new RegExp(${JSON.stringify(pattern.source)}).exec(node.data);
        if (!match) continue;
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        return new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top))).size;
      }
      return -1;
    })()`);
  }
  return lines;
}

const WIDTHS = Array.from({ length: 48 }, (_, i) => 320 + i * 2);
const unbroken = Object.fromEntries(WIDTHS.map((w) => [w, 1]));

async function phone(openid: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 320, height: 640 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  await context.addInitScript((id) => window.localStorage.setItem('mc.devOpenid', id), openid);
  return context.newPage();
}

describe('a time inside a message stays on one line', () => {
  it('until when a store card is locked', async () => {
    const page = await phone(CONSUMER);
    await page.goto(`${runtime.base}/#/packages/account/store-card/index`);
    await visible(page, '登记手机号后四位');
    const inputs = page.locator('input').filter({ visible: true });
    await inputs.nth(0).fill('VIP_WRAP');
    for (let i = 0; i < 5; i++) {
      await inputs.nth(1).fill(String(1000 + i));
      await page.locator('taro-button-core', { hasText: '关联门店会员卡' }).filter({ visible: true }).first().click();
      await visible(page, i < 4 ? `会员卡号与手机号后四位不匹配` : '后再试');
      await page.waitForFunction(() => !document.querySelector('.nut-button-loading'));
    }
    await visible(page, '这张卡已锁定，请于');
    const lines = { lockedNow: await linesOf(page, '这张卡已锁定，请于', WIDTHS), locked: {} };
    // tried again while it is locked
    await page.setViewportSize({ width: 320, height: 640 });
    await inputs.nth(1).fill('1005');
    await page.locator('taro-button-core', { hasText: '关联门店会员卡' }).filter({ visible: true }).first().click();
    await visible(page, '因多次验证失败已暂时锁定');
    lines.locked = await linesOf(page, '因多次验证失败已暂时锁定', WIDTHS);
    expect(lines).toEqual({ lockedNow: unbroken, locked: unbroken });
    await page.context().close();
  });

  it('when a scanned code was used', async () => {
    const page = await phone(CONSUMER);
    await page.goto(`${runtime.base}/#/packages/scan/index?q=${encodeURIComponent(usedUrl)}`);
    await visible(page, '该码已被使用');
    expect(await linesOf(page, '此码已于', WIDTHS)).toEqual(unbroken);
    await page.context().close();
  });

  it('when the consumer scanned the code before: neither the date nor 积分 after the points is split', async () => {
    const page = await phone(CONSUMER);
    await page.goto(`${runtime.base}/#/packages/scan/index?q=${encodeURIComponent(ownUrl)}`);
    await visible(page, '这个码的积分您已领取过');
    // a no-break space keeps the points and 积分 together
    const lines = { date: await linesOf(page, '领取 +1,500\u00a0积分', WIDTHS), word: await linesOf(page, '领取 +1,500\u00a0积分', WIDTHS, /积分$/) };
    expect(lines).toEqual({ date: unbroken, word: unbroken });
    await page.context().close();
  });
});
