import type { Browser } from 'playwright-core';
import { launchBrowser, phonePage, startRuntime } from './browser';

/**
 * A keyboard user sees where they are: Tab reaches NutUI's buttons (src/lib/keyboard.ts gives
 * them a tab stop), and the one focused shows it. Taro's own style for its button element takes
 * the outline off on focus, which left the join's buttons (立即入会, 同意并继续, 验证并绑定)
 * reachable but invisible while focused.
 */
jest.setTimeout(120_000);

let runtime: Awaited<ReturnType<typeof startRuntime>>;
let browser: Browser;

beforeAll(async () => {
  runtime = await startRuntime();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await runtime?.stop();
});

it('shows the keyboard focus on a NutUI button, named a button', async () => {
  const page = await phonePage(browser, runtime.base, 'dev_focus_a');
  await page.getByText('立即入会').filter({ visible: true }).first().waitFor({ state: 'visible', timeout: 15_000 });
  let focused: { tag: string; role: string | null; text: string; outline: string; width: string } | null = null;
  for (let i = 0; i < 20 && focused?.text !== '立即入会'; i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => {
      const el = document.activeElement!;
      const style = getComputedStyle(el);
      return { tag: el.localName, role: el.getAttribute('role'), text: (el.textContent ?? '').trim(), outline: style.outlineStyle, width: style.outlineWidth };
    });
  }
  // a screen reader reads it as a button, not as plain text
  expect(focused).toMatchObject({ tag: 'taro-button-core', role: 'button', text: '立即入会' });
  expect(focused!.outline).not.toBe('none');
  expect(parseFloat(focused!.width)).toBeGreaterThan(0);
});
