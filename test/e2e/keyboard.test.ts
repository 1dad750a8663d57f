import type { Browser, Page } from 'playwright-core';
import { launchBrowser, phonePage, startRuntime, visible } from './browser';

/**
 * The H5 build with a keyboard alone: Tab reaches what a tap acts on (NutUI's buttons and the views
 * given a role, all custom elements Taro draws) and Enter or Space uses it, through the whole join.
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

/** Presses Tab until the focused element matches (its text, or its role), as a keyboard user would; false if it never does. */
async function tabTo(page: Page, want: { text?: string; role?: string }): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const found = await page.evaluate(({ text, role }) => {
      const el = document.activeElement;
      if (!el || el === document.body) return false;
      if (role) return el.getAttribute('role') === role;
      return (el.textContent ?? '').trim() === text;
    }, want);
    if (found) return true;
  }
  return false;
}

describe('the join in H5 with a keyboard', () => {
  it('reaches and uses 立即入会, the consent tick, 同意并继续 and 验证并绑定 with Tab, Enter and Space', async () => {
    const page = await phonePage(browser, runtime.base, 'dev_keyboard_a');
    await visible(page, '立即入会');
    expect(await tabTo(page, { text: '立即入会' })).toBe(true);
    await page.keyboard.press('Enter');
    await visible(page, '同意并继续');

    expect(await tabTo(page, { role: 'checkbox' })).toBe(true);
    // held down, the key repeats: the tick is still ticked once, not on and off again
    await page.keyboard.down('Space');
    await page.keyboard.down('Space');
    await page.keyboard.up('Space');
    await page.locator('[role="checkbox"][aria-checked="true"]').filter({ visible: true }).waitFor();
    expect(await tabTo(page, { text: '同意并继续' })).toBe(true);
    await page.keyboard.press('Enter');
    await visible(page, '绑定手机号');

    await page.locator('input[placeholder="请输入 11 位手机号"]').focus();
    await page.keyboard.type('13600002222');
    expect(await tabTo(page, { text: '验证并绑定' })).toBe(true);
    await page.keyboard.press('Enter');
    await visible(page, '欢迎加入会员');
  });

  // Taro's own style for its button element takes the outline off on focus: reachable, the join's
  // buttons would not show where the keyboard is
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
});
