import type { Browser, Page } from 'playwright-core';
import { boundConsumer, importMembers } from '../support/members';
import { launchBrowser, phonePage, startRuntime, visible } from './browser';

/**
 * Text contrast in the H5 build as a phone shows it (WCAG 2.1 AA, 1.4.3): every visible piece of
 * text on the member, points, mine and join pages, Taro's tab bar and NutUI's buttons included, is
 * read with the colours the browser computed and measured against what is drawn behind it (the
 * nearest painted background, every stop of a gradient, half-transparent colours composited).
 * 4.5:1 for text, 3:1 for large text (24 px, or 18.66 px bold). Disabled buttons are exempt, as WCAG
 * exempts inactive controls, but then they are out of the Tab order and announced as disabled.
 */
jest.setTimeout(120_000);

const PHONE = '13912345678';

let runtime: Awaited<ReturnType<typeof startRuntime>>;
let browser: Browser;

beforeAll(async () => {
  runtime = await startRuntime();
  // a member whose store membership is linked (已关联) with store points (the history's +500)
  await importMembers(runtime.services, 'offline', [{ channelMemberId: 'VIP0009', phone: PHONE, points: 500, growth: 500, name: '王女士', storeId: 'SH001' }]);
  await boundConsumer(runtime.services, 'dev_contrast_member', PHONE);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

type Low = { text: string; where: string; ratio: number; needs: number };

/** Every visible text under 4.5:1 (3:1 when large) against what is painted behind it, on the page as it is now. */
function lowContrast(page: Page): Promise<Low[]> {
  return page.evaluate(() => {
    type Rgba = [number, number, number, number];
    const parse = (value: string): Rgba[] =>
      [...value.matchAll(/rgba?\(([^)]+)\)/g)].map((m) => {
        const [r, g, b, a] = m[1]!.split(/[\s,/]+/).filter(Boolean).map(Number);
        return [r!, g!, b!, a ?? 1];
      });
    const over = (top: Rgba, under: Rgba): Rgba => {
      const a = top[3];
      return [top[0] * a + under[0] * (1 - a), top[1] * a + under[1] * (1 - a), top[2] * a + under[2] * (1 - a), 1];
    };
    const channel = (c: number) => ((c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    const luminance = (c: Rgba) => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
    const ratio = (a: Rgba, b: Rgba) => {
      const [x, y] = [luminance(a), luminance(b)];
      return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
    };
    /** A linear gradient's colour at a point of the page: the stops interpolated along its line (CSS angles: 0deg up, clockwise). */
    const gradientAt = (value: string, box: DOMRect, x: number, y: number): Rgba => {
      const angle = (Number(value.match(/linear-gradient\((-?[\d.]+)deg/)?.[1] ?? 180) * Math.PI) / 180;
      const length = Math.abs(box.width * Math.sin(angle)) + Math.abs(box.height * Math.cos(angle));
      const t = ((x - box.x - box.width / 2) * Math.sin(angle) - (y - box.y - box.height / 2) * Math.cos(angle)) / length + 0.5;
      const stops = [...value.matchAll(/(rgba?\([^)]+\))\s*([\d.]+%)?/g)].map((m, i, all) => ({
        colour: parse(m[1]!)[0]!,
        at: m[2] ? parseFloat(m[2]) / 100 : i / Math.max(1, all.length - 1),
      }));
      const next = stops.findIndex((s) => s.at >= t);
      if (next <= 0) return stops[next === 0 ? 0 : stops.length - 1]!.colour;
      const [a, b] = [stops[next - 1]!, stops[next]!];
      const k = (t - a.at) / (b.at - a.at || 1);
      return a.colour.map((c, i) => c + (b.colour[i]! - c) * k) as Rgba;
    };
    /** What is painted behind a point of the page: the backgrounds up the tree from an element, composited. */
    const behind = (el: Element, x: number, y: number): Rgba => {
      const layers: Rgba[] = [];
      for (let node: Element | null = el; node; node = node.parentElement) {
        const style = getComputedStyle(node);
        const layer = style.backgroundImage.includes('linear-gradient')
          ? gradientAt(style.backgroundImage, node.getBoundingClientRect(), x, y)
          : parse(style.backgroundColor)[0]!;
        if (layer[3] > 0) layers.push(layer);
        if (layer[3] === 1) break;
      }
      return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255, 1] as Rgba);
    };
    const disabled = (el: Element) => el.closest('.nut-button-disabled, [aria-disabled="true"], [disabled]') !== null;
    const low: { text: string; where: string; ratio: number; needs: number }[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent!.trim();
      const el = node.parentElement;
      if (!text || !el || disabled(el)) continue;
      if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;
      const style = getComputedStyle(el);
      const size = parseFloat(style.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
      const needs = large ? 3 : 4.5;
      const fg = parse(style.color)[0]!;
      // the text's corners and centre: a gradient changes under it
      const points = [[box.left + 1, box.top + 1], [box.right - 1, box.top + 1], [box.left + 1, box.bottom - 1], [box.right - 1, box.bottom - 1], [box.x + box.width / 2, box.y + box.height / 2]];
      const worst = Math.min(...points.map(([x, y]) => behind(el, x!, y!)).map((b) => ratio(over(fg, b), b)));
      if (worst < needs) low.push({ text, where: `${el.localName}.${[...el.classList].join('.')}`, ratio: Math.round(worst * 100) / 100, needs });
    }
    return low;
  });
}

describe('text contrast in H5 on a phone', () => {
  it('keeps every text on the member, points and mine pages and the tab bar at 4.5:1 or more', async () => {
    const page = await phonePage(browser, runtime.base, 'dev_contrast_member');
    const low: Record<string, Low[]> = {};
    await visible(page, '已关联');
    await page.locator('.member-code__qr img').waitFor();
    low.member = await lowContrast(page);

    await page.goto(`${runtime.base}/#/pages/points/index`);
    await page.locator('.history__points', { hasText: '+500' }).first().waitFor();
    low.points = await lowContrast(page);

    await page.goto(`${runtime.base}/#/pages/mine/index`);
    await visible(page, '个人资料');
    low.mine = await lowContrast(page);
    expect(low).toEqual({ member: [], points: [], mine: [] });
    await page.context().close();
  });

  it('keeps the join invitation and the terms step (its 《会员隐私条款》 link and the steps not yet reached) at 4.5:1 or more', async () => {
    const page = await phonePage(browser, runtime.base, 'dev_contrast_visitor');
    const low: Record<string, Low[]> = {};
    await visible(page, '立即入会');
    low.invitation = await lowContrast(page);
    await page.locator('taro-button-core', { hasText: '立即入会' }).filter({ visible: true }).first().click();
    await visible(page, '同意并继续');
    low.terms = await lowContrast(page);
    expect(low).toEqual({ invitation: [], terms: [] });
    await page.context().close();
  });
});

describe('the H5 page on a phone', () => {
  it('may be zoomed with two fingers to twice its size or more (WCAG 1.4.4), and asks the server for no file it lacks', async () => {
    const page = await phonePage(browser, runtime.base, 'dev_contrast_member');
    const missing: string[] = [];
    page.on('response', (response) => {
      if (response.status() === 404) missing.push(new URL(response.url()).pathname);
    });
    await page.reload();
    await visible(page, '已关联');
    const viewport = await page.locator('meta[name="viewport"]').getAttribute('content');
    const settings = Object.fromEntries((viewport ?? '').split(',').map((part) => part.trim().split('=').map((side) => side.trim())));
    expect(settings['user-scalable'] ?? 'yes').not.toMatch(/^(no|0)$/);
    expect(Number(settings['maximum-scale'] ?? 10)).toBeGreaterThanOrEqual(2);
    // the browser asks for /favicon.ico unless the page names its icon
    expect(missing).toEqual([]);
    await page.context().close();
  });
});

describe('a disabled button in H5', () => {
  /** Where Tab goes from the top of the page: the text of each focused element, once round. */
  async function tabStops(page: Page): Promise<string[]> {
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const stops: string[] = [];
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      const stop = await page.evaluate(() => (document.activeElement === document.body ? null : (document.activeElement?.textContent ?? '').trim()));
      if (stop === null || stops.includes(stop)) break;
      stops.push(stop);
    }
    return stops;
  }

  it('is announced as disabled and skipped by Tab until the consent is ticked, then reached', async () => {
    const page = await phonePage(browser, runtime.base, 'dev_contrast_disabled');
    await visible(page, '立即入会');
    await page.locator('taro-button-core', { hasText: '立即入会' }).filter({ visible: true }).first().click();
    await visible(page, '同意并继续');
    const agree = page.locator('taro-button-core', { hasText: '同意并继续' }).filter({ visible: true }).first();
    expect(await agree.getAttribute('aria-disabled')).toBe('true');
    const before = await tabStops(page);
    expect(before.length).toBeGreaterThan(0); // the consent tick at least
    expect(before).not.toContain('同意并继续');

    await page.locator('.join-check__box').click();
    await page.locator('[role="checkbox"][aria-checked="true"]').filter({ visible: true }).waitFor();
    await page.locator('taro-button-core:not(.nut-button-disabled)', { hasText: '同意并继续' }).filter({ visible: true }).waitFor();
    expect(await agree.getAttribute('aria-disabled')).toBeNull();
    expect(await tabStops(page)).toContain('同意并继续');
    await page.context().close();
  });
});
