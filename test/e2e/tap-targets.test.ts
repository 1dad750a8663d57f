import type { Browser, Page } from 'playwright-core';
import { makeBatch } from '../codes/support';
import { boundConsumer, consentedToEarlierTerms } from '../support/members';
import { launchBrowser, startRuntime, visible } from './browser';

/**
 * What a thumb taps, in Chromium against the dev runtime on a small Android phone (320×568) and a
 * large one (414×736): every button, tappable row, field and link standing on its own is at least
 * 44 px tall, as WeChat's and Apple's guides ask. NutUI draws its buttons 32 px tall (28 small),
 * and a consumer at the till with a thumb missed 扫码领积分 for 积分明细 beside it; 我的's nickname
 * field was a 22 px strip in its row. A link inside a sentence (《会员隐私条款》) sits in its line
 * and is exempt; so is H5's dev identity switcher.
 *
 * The stylesheets are a 750 design: for WeChat Taro turns `88px` into `88rpx`, a 750th of the
 * screen's width each (37.5 px on a 320 px phone), while H5 turns them into rem and keeps its root
 * font at 20 px at least, so H5 at 320 px alone saw 44 px where WeChat drew 37.5. The `rpx` case
 * sets H5's root font as rpx scale (40 px per 750 design px of screen, unclamped), so a page is as
 * tall as in WeChat; sizes written in `PX`, which Taro leaves as they are, stay what they say.
 * WeChat's phone button (.join-phone-button), which H5 replaces with a form, is put on the phone
 * step for the measuring: its `line-height: 92px` was 39 px tall on a 320 px phone in WeChat.
 */
jest.setTimeout(120_000);

const MEMBER = 'dev_tap_member';
/** A member whose consent is to an earlier version of the terms: their card shows TermsUpdated's small button. */
const OUTDATED = 'dev_tap_outdated';
let runtime: Awaited<ReturnType<typeof startRuntime>>;
let browser: Browser;
let usedUrl: string;

beforeAll(async () => {
  runtime = await startRuntime();
  await boundConsumer(runtime.services, MEMBER, '13711115555');
  await consentedToEarlierTerms(runtime.services, OUTDATED, '13711116666');
  usedUrl = (await makeBatch(runtime.services, { count: 1 })).urls[0]!;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

type Sizing = 'h5' | 'rpx';
let sizing: Sizing = 'h5';

/**
 * The tap targets of the page shown (H5 keeps tab pages in the DOM, hidden) that are under 44 px
 * either way; with `rpx` sizing, once the root font follows the width as WeChat's rpx do.
 */
async function smallTargets(page: Page): Promise<string[]> {
  // a string, not a function: the test's compiler would name helpers the page does not have
  return page.evaluate(`(() => {
    if (${JSON.stringify(sizing)} === 'rpx') document.documentElement.style.fontSize = (40 * window.innerWidth / 750) + 'px';
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

describe.each<[number, number, Sizing]>([
  [320, 568, 'h5'],
  [414, 736, 'h5'],
  [320, 568, 'rpx'],
])('tap targets at %i×%i, sized as %s sizes them', (width, height, as) => {
  beforeAll(() => { sizing = as; });
  it('a visitor\'s home, the terms and the phone step', async () => {
    const page = await phone(width, height, `dev_tap_visitor_${width}_${as}`);
    await page.goto(runtime.base);
    await visible(page, '立即入会');
    const small: Record<string, string[]> = { home: await smallTargets(page) };
    await page.locator('taro-button-core', { hasText: '立即入会' }).filter({ visible: true }).first().click();
    await visible(page, '同意并继续');
    small.terms = await smallTargets(page);
    await page.locator('.join-check').click();
    await page.locator('taro-button-core', { hasText: '同意并继续' }).filter({ visible: true }).first().click();
    await visible(page, '验证并绑定');
    // WeChat's phone button in place of H5's dev form: the button element with the page's class
    await page.evaluate(() => {
      const step = Array.from(document.querySelectorAll('.join-step')).filter((e) => (e as HTMLElement).offsetParent).pop()!;
      const button = document.createElement('taro-button-core');
      button.className = 'join-phone-button';
      button.textContent = '微信手机号一键绑定';
      step.appendChild(button);
    });
    small.phone = await smallTargets(page);
    expect(small).toEqual({ home: [], terms: [], phone: [] });
    await page.context().close();
  });

  it('a member whose consent is to earlier terms: 查看并同意 above their card (NutUI\'s small button, 28 px)', async () => {
    const page = await phone(width, height, OUTDATED);
    await page.goto(runtime.base);
    await visible(page, '查看并同意');
    expect(await smallTargets(page)).toEqual([]);
    await page.context().close();
  });

  it('a member\'s card, 积分, 我的, the scanner and its answer, the store card', async () => {
    const page = await phone(width, height, MEMBER);
    const small: Record<string, string[]> = {};
    await page.goto(runtime.base);
    await visible(page, '关联门店会员卡');
    await page.locator('.member-code__qr img').waitFor();
    small.home = await smallTargets(page);
    await page.goto(`${runtime.base}/#/pages/mine/index`);
    await visible(page, '删除我的数据');
    small.mine = await smallTargets(page);
    await page.goto(`${runtime.base}/#/packages/scan/index`);
    await visible(page, '扫描商品包装上的二维码');
    small.scan = await smallTargets(page);
    await page.goto(`${runtime.base}/#/packages/scan/index?q=${encodeURIComponent(usedUrl)}`);
    await visible(page, '继续扫码');
    small.scanned = await smallTargets(page);
    await page.goto(`${runtime.base}/#/packages/account/store-card/index`);
    await visible(page, '登记手机号后四位');
    small.storeCard = await smallTargets(page);
    expect(small).toEqual({ home: [], mine: [], scan: [], scanned: [], storeCard: [] });
    await page.context().close();
  });
});
