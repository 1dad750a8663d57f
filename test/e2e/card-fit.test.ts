import type { Browser, Page } from 'playwright-core';
import { barcodeImage } from '../../src/lib/barcode';
import { boundConsumer, consentedToEarlierTerms, importMembers, memberOk } from '../support/members';
import { launchBrowser, startRuntime, visible } from './browser';

/**
 * What a card holds stays on the card, on phones 320 to 414 px wide, in Chromium against the dev
 * runtime: the member code's barcode, at any pixel ratio (the 54 digits' 352 modules, one device
 * pixel each at the least, were 352 px at a ratio of 1, wider than the card on every such phone;
 * these tests' member ids have no digits form, and the token's 451 modules are drawn), and the 积分
 * page's balance beside its 成长值 when both are long (1,234,567 and 1,234,567 overlapped at
 * 320 px). And every button is a pill, as the app draws them, the small 查看并同意 too (NutUI gave
 * small buttons 6 px corners).
 */
jest.setTimeout(240_000);

const BIG = 'dev_fit_big';
/** Balances of eight and ten digits (12,345,678; 1,000,000,000: the most an opening balance may carry). */
const BIGGER = 'dev_fit_bigger';
const BIGGEST = 'dev_fit_biggest';
const RENEWING = 'dev_fit_renewing';
let runtime: Awaited<ReturnType<typeof startRuntime>>;
let browser: Browser;

beforeAll(async () => {
  runtime = await startRuntime();
  const { services } = runtime;
  await importMembers(services, 'offline', [{ channelMemberId: 'VIP_FIT', phone: '13800006666', points: 1234567, growth: 1234567, name: '赵女士', storeId: 'SH001' }]);
  await boundConsumer(services, BIG, '13800006666');
  await importMembers(services, 'offline', [
    { channelMemberId: 'VIP_FIT8', phone: '13800006667', points: 12345678, growth: 300, name: '钱女士', storeId: 'SH001' },
    { channelMemberId: 'VIP_FIT10', phone: '13800006668', points: 1000000000, growth: 300, name: '孙女士', storeId: 'SH001' },
  ]);
  await boundConsumer(services, BIGGER, '13800006667');
  await boundConsumer(services, BIGGEST, '13800006668');
  // a member whose consent is to terms the brand has since updated: the 会员隐私条款已更新 banner
  await consentedToEarlierTerms(services, RENEWING, '13711113333');
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

async function phone(openid: string, width: number, pixelRatio: number): Promise<Page> {
  const context = await browser.newContext({ viewport: { width, height: 640 }, deviceScaleFactor: pixelRatio, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  await context.addInitScript((id) => window.localStorage.setItem('mc.devOpenid', id), openid);
  return context.newPage();
}

const WIDTHS = [320, 340, 360, 375, 390, 414];

describe('the member code\'s barcode', () => {
  it.each([1, 2, 3])('at a pixel ratio of %i: on the card at whole device pixels and 0.5 px at least a bar, or enlarged only where that cannot fit', async (ratio) => {
    // the bars the card draws: the digits form, or the token's where the member id has none (these tests' ids)
    const code = await memberOk<{ token: string; barcode: string | null }>(runtime.services, BIG, { action: 'memberCode' });
    const { modules } = barcodeImage(code.barcode ?? code.token);
    const page = await phone(BIG, 320, ratio);
    const seen: Record<number, string> = {};
    const expected: Record<number, string> = {};
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 640 });
      // the code is measured when drawn: a page opened at this width
      await page.goto(`${runtime.base}/?w=${width}`);
      await visible(page, '结账时向店员出示');
      const found = (await page.evaluate(`(() => {
        const card = Array.from(document.querySelectorAll('.member-code')).find((e) => e.offsetParent);
        const style = getComputedStyle(card);
        const edge = card.getBoundingClientRect();
        const left = edge.left + parseFloat(style.paddingLeft);
        const right = edge.right - parseFloat(style.paddingRight);
        // the fewest whole device pixels a bar may take (one, and 0.5 px), and the most the card holds
        const fewest = Math.max(1, Math.ceil(0.5 * window.devicePixelRatio));
        const most = Math.floor((right - left) * window.devicePixelRatio / ${modules});
        const fits = most >= fewest;
        const image = card.querySelector('.member-code__bar-image');
        if (!image) return { fits, shown: card.querySelector('.member-code__bar-more') ? 'enlarged only' : 'nothing' };
        const bar = image.getBoundingClientRect();
        const device = bar.width * window.devicePixelRatio / ${modules};
        const whole = Math.abs(device - Math.round(device)) < 0.02 && Math.round(device) >= fewest;
        return { fits, shown: [bar.left >= left - 0.5 && bar.right <= right + 0.5 ? 'on the card' : 'off the card', whole ? 'whole pixels, 0.5 px at least' : device + ' device pixels a bar'].join(', ') };
      })()`)) as { fits: boolean; shown: string };
      seen[width] = found.shown;
      expected[width] = found.fits ? 'on the card, whole pixels, 0.5 px at least' : 'enlarged only';
    }
    expect(seen).toEqual(expected);
    // the enlarged code, turned sideways, has the window's height: whole pixels, within the window
    await page.setViewportSize({ width: 320, height: 568 });
    await page.goto(`${runtime.base}/?w=enlarged`);
    await visible(page, '结账时向店员出示');
    await page.locator('.member-code__bar').filter({ visible: true }).first().click();
    await visible(page, '点击任意处关闭');
    const enlarged = await page.evaluate(`(() => {
      const bar = document.querySelector('.member-code__overlay-bar').getBoundingClientRect();
      const device = bar.height * window.devicePixelRatio / ${modules};
      return { inWindow: bar.top >= 0 && bar.bottom <= window.innerHeight && bar.left >= 0 && bar.right <= window.innerWidth, whole: Math.abs(device - Math.round(device)) < 0.02 && device >= 1 };
    })()`);
    expect(enlarged).toEqual({ inWindow: true, whole: true });
    await page.context().close();
  });
});

describe('the 积分 page\'s balance card', () => {
  it('keeps 1,234,567 积分 and a 成长值 of 1,234,567 apart and on the card', async () => {
    const page = await phone(BIG, 320, 2);
    await page.goto(`${runtime.base}/#/pages/points/index`);
    await visible(page, '门店会员原有积分');
    const clashes: Record<number, string[]> = {};
    for (const width of [320, 330, 340, 350, 360, 375, 390, 414]) {
      await page.setViewportSize({ width, height: 640 });
      clashes[width] = await page.evaluate(`(() => {
        const card = Array.from(document.querySelectorAll('.points-summary')).find((e) => e.offsetParent);
        // each text's own extent: a text wider than its box spills out of it
        const extent = (e) => { const range = document.createRange(); range.selectNodeContents(e); return range.getBoundingClientRect(); };
        const texts = Array.from(card.querySelectorAll('.points-summary__value, .points-summary__label, .points-summary__growth, .points-summary__level'))
          .map((e) => ({ name: e.textContent.trim(), box: e.classList.contains('points-summary__level') ? e.getBoundingClientRect() : extent(e) }));
        const edge = card.getBoundingClientRect();
        const found = [];
        for (const t of texts) if (t.box.left < edge.left || t.box.right > edge.right) found.push(t.name + ' off the card');
        texts.forEach((a, i) => texts.slice(i + 1).forEach((b) => {
          if (a.box.left < b.box.right && b.box.left < a.box.right && a.box.top < b.box.bottom && b.box.top < a.box.bottom) found.push(a.name + ' on ' + b.name);
        }));
        return found;
      })()`);
    }
    expect(clashes).toEqual({ 320: [], 330: [], 340: [], 350: [], 360: [], 375: [], 390: [], 414: [] });
    await page.context().close();
  });
});

describe('the 积分 page\'s balance with text zoomed', () => {
  it.each([1.3, 1.6])('at %f times the text size (WeChat\'s larger font sizes) 1,234,567 stays on the card and on one line, on 320 and 375 px phones', async (zoom) => {
    const page = await phone(BIG, 320, 2);
    const off: Record<number, string[]> = {};
    for (const width of [320, 375]) {
      await page.setViewportSize({ width, height: 640 });
      // a page loaded afresh at this width: its rem follow the width, and nothing is zoomed twice
      await page.goto(`${runtime.base}/?w=${width}#/pages/points/index`);
      await visible(page, '门店会员原有积分');
      off[width] = await page.evaluate(`(() => {
        // every font size times the zoom, the layout's widths as they were (as keep-together's linesOf zooms)
        const all = Array.from(document.querySelectorAll('body *'));
        const sizes = all.map((e) => parseFloat(getComputedStyle(e).fontSize));
        all.forEach((e, i) => { e.style.fontSize = (sizes[i] * ${zoom}) + 'px'; });
        const card = Array.from(document.querySelectorAll('.points-summary')).find((e) => e.offsetParent);
        const edge = card.getBoundingClientRect();
        const found = [];
        for (const e of card.querySelectorAll('.points-summary__value, .points-summary__growth')) {
          const range = document.createRange();
          range.selectNodeContents(e);
          const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0);
          if (rects.some((r) => r.left < edge.left || r.right > edge.right)) found.push(e.textContent.trim() + ' off the card');
          if (new Set(rects.map((r) => Math.round(r.top))).size > 1) found.push(e.textContent.trim() + ' split over lines');
        }
        return found;
      })()`);
    }
    expect(off).toEqual({ 320: [], 375: [] });
    await page.context().close();
  });
});

describe('the member card\'s balance with text zoomed', () => {
  it.each([1.3, 1.6])('at %f times the text size 1,234,567, 12,345,678 and 1,000,000,000 stay inside the card\'s padding and on one line, on 320 and 375 px phones', async (zoom) => {
    const off: Record<string, string[]> = {};
    for (const [openid, balance] of [[BIG, '1,234,567'], [BIGGER, '12,345,678'], [BIGGEST, '1,000,000,000']]) {
      const page = await phone(openid!, 320, 2);
      for (const width of [320, 375]) {
        await page.setViewportSize({ width, height: 640 });
        // a page loaded afresh at this width: its rem follow the width, and nothing is zoomed twice
        await page.goto(`${runtime.base}/?w=${width}`);
        await visible(page, balance!);
        off[`${balance} at ${width}`] = await page.evaluate(`(() => {
          // every font size times the zoom, the layout's widths as they were (as keep-together's linesOf zooms)
          const all = Array.from(document.querySelectorAll('body *'));
          const sizes = all.map((e) => parseFloat(getComputedStyle(e).fontSize));
          all.forEach((e, i) => { e.style.fontSize = (sizes[i] * ${zoom}) + 'px'; });
          const card = Array.from(document.querySelectorAll('.member-card')).find((e) => e.offsetParent);
          const style = getComputedStyle(card);
          const edge = card.getBoundingClientRect();
          // the card hides what leaves it: its text stays within its padding
          const left = edge.left + parseFloat(style.paddingLeft);
          const right = edge.right - parseFloat(style.paddingRight);
          const value = card.querySelector('.member-card__points');
          const range = document.createRange();
          range.selectNodeContents(value);
          const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0);
          const found = [];
          if (rects.some((r) => r.left < left - 0.5 || r.right > right + 0.5)) found.push('past the padding');
          if (new Set(rects.map((r) => Math.round(r.top))).size > 1) found.push('split over lines');
          return found;
        })()`);
      }
      await page.context().close();
    }
    expect(off).toEqual(Object.fromEntries(['1,234,567', '12,345,678', '1,000,000,000'].flatMap((b) => [320, 375].map((w) => [`${b} at ${w}`, []]))));
  });
});

describe('buttons', () => {
  it('are pills, the small 查看并同意 as the others', async () => {
    const page = await phone(RENEWING, 375, 2);
    await page.goto(runtime.base);
    await visible(page, '查看并同意');
    const square = await page.evaluate(`(() => Array.from(document.querySelectorAll('.nut-button'))
      .filter((e) => e.offsetParent)
      .map((e) => ({ text: e.textContent.trim(), radius: parseFloat(getComputedStyle(e).borderTopLeftRadius), height: e.getBoundingClientRect().height }))
      .filter((b) => b.radius < b.height / 2)
      .map((b) => b.text + ' ' + b.radius + 'px'))()`);
    expect(square).toEqual([]);
    await page.context().close();
  });
});
