import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { importOrders } from '../codes/support';
import { boundConsumer, importMembers } from '../support/members';
import { SCREENSHOTS, launchBrowser, startRuntime, visible } from './browser';

/**
 * 积分明细 scrolled with a finger on a small phone (320×568), in Chromium against the dev runtime:
 * every order of a year expires on the same night, and the server lists each lot, so pages of
 * that night's lots fold into the one 积分过期 line already shown and leave the list as tall as it
 * was. Taro's reach-bottom fires again only after a scroll away from the bottom, so such a page
 * must bring the next one by itself, or the consumer at the bottom is stuck at 加载更多.
 */
jest.setTimeout(120_000);

const PHONE = '13711112222';
const OPENID = 'dev_history_scroll';

let runtime: Awaited<ReturnType<typeof startRuntime>>;
let browser: Browser;

beforeAll(async () => {
  runtime = await startRuntime();
  const { services } = runtime;
  await importMembers(services, 'tmall', [{ channelMemberId: 'T_SCROLL', phone: PHONE }]);
  const order = (id: number, paidAt: string) => ({ orderId: String(7000000000000 + id), channelMemberId: 'T_SCROLL', amountFen: 10000 + id * 100, status: 'paid', paidAt });
  await importOrders(services, 'tmall', [
    // this year's orders: the first page's lines
    ...Array.from({ length: 15 }, (_, i) => order(i, `2026-11-${String(i + 1).padStart(2, '0')} 10:00:00`)),
    // 2024's orders, imported late: their 60 lots expired on one night (31 December 2025) as they entered
    ...Array.from({ length: 60 }, (_, i) => order(100 + i, `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')} 09:00:00`)),
  ]);
  await boundConsumer(services, OPENID, PHONE);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

/** Scrolls the shown page down a finger's swipe at a time, waiting for each page asked for; answers how many swipes it took to see `last`. */
async function swipeUntil(page: Page, last: string, swipes: number): Promise<number> {
  for (let i = 0; i < swipes; i++) {
    if (await page.getByText(last).filter({ visible: true }).count()) return i;
    await page.evaluate(() => {
      const scroller = Array.from(document.querySelectorAll<HTMLElement>('.taro_page.taro_page_show')).pop()!;
      scroller.scrollTop += 300;
    });
    await page.waitForFunction(() => !document.body.innerText.includes('正在加载更多'));
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  }
  return -1;
}

describe('积分明细 infinite scroll in Chromium', () => {
  it('reaches the oldest entry by scrolling alone, past pages of one expiry night\'s lots', async () => {
    const context = await browser.newContext({ viewport: { width: 320, height: 568 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
    await context.addInitScript((id) => window.localStorage.setItem('mc.devOpenid', id), OPENID);
    const page = await context.newPage();
    await page.goto(`${runtime.base}/#/pages/points/index`);
    await visible(page, '天猫订单 7000000000014 消费得积分');
    // 60 swipes of 300 px pass 90 lines of this list many times over
    const swipes = await swipeUntil(page, '没有更多记录了', 60);
    await page.screenshot({ path: resolve(SCREENSHOTS, 'points-history-scrolled-320.png') });
    expect(swipes).toBeGreaterThanOrEqual(0);
    expect(await page.getByText('积分过期').filter({ visible: true }).count()).toBe(1);
    expect(await page.locator('.history__entry').count()).toBe(15 + 1 + 60);
    await context.close();
  });
});
