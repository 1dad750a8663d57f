import type { Browser, Page } from 'playwright-core';
import { makeBatch } from '../codes/support';
import { boundConsumer } from '../support/members';
import { launchBrowser, startRuntime, visible } from './browser';

/**
 * Review 38b: tap targets at 44 px in WeChat on a small phone, not only in H5. The stylesheets are
 * a 750 design: for WeChat Taro turns `88px` into `88rpx`, a 750th of the screen's width each, so
 * 88 of them are 44 px on a 375 px phone and 37.5 px on a 320 px one. H5 turns them into rem and
 * keeps its root font at 20 px at least, so tap-targets.test.ts, at 320 px in H5, saw 44 px where
 * WeChat draws 37.5. Here H5's root font follows the width as rpx do (40 px per 750 design px of
 * screen, unclamped), so a page is as tall as in WeChat; sizes written in `PX`, which Taro leaves
 * as they are, stay what they say.
 */
jest.setTimeout(120_000);

const MEMBER = 'dev_tap_rpx_member';
let runtime: Awaited<ReturnType<typeof startRuntime>>;
let browser: Browser;
let usedUrl: string;

beforeAll(async () => {
  runtime = await startRuntime();
  await boundConsumer(runtime.services, MEMBER, '13711116666');
  usedUrl = (await makeBatch(runtime.services, { count: 1 })).urls[0]!;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

/** With 1 design px = width/750 CSS px, as WeChat's rpx: the tap targets of the page shown under 44 px tall or wide. */
async function smallAsInWeapp(page: Page): Promise<string[]> {
  return page.evaluate(`(() => {
    document.documentElement.style.fontSize = (40 * window.innerWidth / 750) + 'px';
    const shown = Array.from(document.querySelectorAll('.taro_page')).filter((p) => getComputedStyle(p).display !== 'none').pop();
    const targets = shown.querySelectorAll('taro-button-core, [role=button], [role=checkbox], taro-input-core, taro-textarea-core, taro-picker-core');
    return Array.from(targets)
      .filter((e) => !e.closest('.dev-identity') && !e.classList.contains('join-link'))
      .map((e) => ({ e, b: e.getBoundingClientRect() }))
      .filter(({ b }) => b.width > 0 && (b.height < 43.5 || b.width < 43.5))
      .map(({ e, b }) => ((e.textContent || '').trim() || e.querySelector('input, textarea')?.getAttribute('aria-label') || '').slice(0, 12) + ' ' + Math.round(b.width) + '×' + Math.round(b.height));
  })()`);
}

async function phone(width: number, height: number, openid: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  await context.addInitScript((id) => window.localStorage.setItem('mc.devOpenid', id), openid);
  return context.newPage();
}

describe('tap targets at 320×568 sized as WeChat sizes them (rpx)', () => {
  it('a visitor\'s home, the terms and the phone step', async () => {
    const page = await phone(320, 568, 'dev_tap_rpx_visitor');
    await page.goto(runtime.base);
    await visible(page, '立即入会');
    const small: Record<string, string[]> = { home: await smallAsInWeapp(page) };
    await page.locator('taro-button-core', { hasText: '立即入会' }).filter({ visible: true }).first().click();
    await visible(page, '同意并继续');
    small.terms = await smallAsInWeapp(page);
    await page.locator('.join-check').click();
    await page.locator('taro-button-core', { hasText: '同意并继续' }).filter({ visible: true }).first().click();
    await visible(page, '验证并绑定');
    small.phone = await smallAsInWeapp(page);
    expect(small).toEqual({ home: [], terms: [], phone: [] });
    await page.context().close();
  });

  it('a member\'s card, 我的, the scanner and its answer, the store card', async () => {
    const page = await phone(320, 568, MEMBER);
    const small: Record<string, string[]> = {};
    await page.goto(runtime.base);
    await visible(page, '关联门店会员卡');
    await page.locator('.member-code__qr img').waitFor();
    small.home = await smallAsInWeapp(page);
    await page.goto(`${runtime.base}/#/pages/mine/index`);
    await visible(page, '删除我的数据');
    small.mine = await smallAsInWeapp(page);
    await page.goto(`${runtime.base}/#/packages/scan/index`);
    await visible(page, '扫描商品包装上的二维码');
    small.scan = await smallAsInWeapp(page);
    await page.goto(`${runtime.base}/#/packages/scan/index?q=${encodeURIComponent(usedUrl)}`);
    await visible(page, '继续扫码');
    small.scanned = await smallAsInWeapp(page);
    await page.goto(`${runtime.base}/#/packages/account/store-card/index`);
    await visible(page, '登记手机号后四位');
    small.storeCard = await smallAsInWeapp(page);
    expect(small).toEqual({ home: [], mine: [], scan: [], scanned: [], storeCard: [] });
    await page.context().close();
  });
});
