import type { Browser, Page } from 'playwright-core';
import { launchBrowser, phonePage, startRuntime, visible } from './browser';

/**
 * The H5 build in Chromium, as a screen reader meets it: Taro draws its views and inputs as custom
 * elements, so what reaches the page is checked here, not on the jsdom stand-ins. The marks drawn
 * for the eye (›, ×) are left out of what is read, a text box is named on the real <input> inside
 * Taro's element, and a refused code is an alert.
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

const shown = (page: Page, role: Parameters<Page['getByRole']>[0], name: string) =>
  page.getByRole(role, { name, exact: true }).filter({ visible: true }).first().waitFor({ state: 'visible', timeout: 15_000 });

describe('a screen reader in the H5 build', () => {
  it('names the text boxes, reads the 我的 rows without their ›, and hears a refused code as an alert without its ×', async () => {
    const page = await phonePage(browser, runtime.base, 'dev_screen_reader_a');
    await visible(page, '立即入会');
    await page.getByText('立即入会').filter({ visible: true }).first().click();
    await page.getByRole('checkbox').filter({ visible: true }).first().click();
    await page.getByText('同意并继续').filter({ visible: true }).first().click();
    // a digits-only box (type number) is a spin button to a screen reader
    await shown(page, 'spinbutton', '手机号');
    await page.getByRole('spinbutton', { name: '手机号', exact: true }).fill('13600003333');
    await page.getByText('验证并绑定').filter({ visible: true }).first().click();
    await visible(page, '欢迎加入会员');

    await page.goto(`${runtime.base}/#/pages/mine/index`);
    await shown(page, 'textbox', '昵称');
    for (const name of ['关联门店会员卡', '会员隐私条款', '删除我的数据']) await shown(page, 'button', name);

    await page.goto(`${runtime.base}/#/packages/account/store-card/index`);
    await shown(page, 'textbox', '会员卡号');
    await shown(page, 'spinbutton', '登记手机号后四位');

    await page.goto(`${runtime.base}/#/packages/scan/index?code=NOTACODE0001`);
    const alert = page.getByRole('alert').filter({ hasText: '无法识别该码' }).first();
    await alert.waitFor({ state: 'visible', timeout: 15_000 });
    expect(await alert.textContent()).not.toMatch(/重新扫码/);
    const hidden = await page.evaluate(() => [...document.querySelectorAll('.scan-result__mark')].map((el) => el.closest('[aria-hidden="true"]') !== null));
    expect(hidden).toContain(true);
    expect(hidden.every(Boolean)).toBe(true);
  });
});
