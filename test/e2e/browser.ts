import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createLocalServer } from '../../cloudfunctions/core/local/server';
import { openTestServices, type TestServices } from '../support/services';

export const CHROMIUM = '/usr/bin/chromium';
export const H5_DIR = resolve(__dirname, '../../dist/h5');
export const SCREENSHOTS = resolve(__dirname, '../../dist/screenshots');

/** The dev runtime on a random loopback port, serving the H5 build over a temp database. */
export async function startRuntime(): Promise<{ base: string; services: TestServices; stop(): Promise<void> }> {
  if (!existsSync(resolve(H5_DIR, 'index.html'))) throw new Error('no H5 build: run npm run build:h5 first');
  const services = openTestServices(new Date().toISOString());
  const server: Server = createLocalServer({ services, appDir: H5_DIR });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    services,
    async stop() {
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
      await services.close();
    },
  };
}

/** Debian's chromium, headless, with the flags this sandboxed machine needs. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install -y chromium fonts-noto-cjk`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A phone-sized page (375×812, like an iPhone X) with its own dev identity. */
export async function phonePage(browser: Browser, base: string, devOpenid?: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 375, height: 812 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  if (devOpenid) await context.addInitScript((id) => window.localStorage.setItem('mc.devOpenid', id), devOpenid);
  const page = await context.newPage();
  await page.goto(base);
  return page;
}

/** Waits for a visible element with `value` among its text (the first such one), up to 15 s. */
export async function visible(page: Page, value: string): Promise<void> {
  await page.getByText(value).filter({ visible: true }).first().waitFor({ state: 'visible', timeout: 15_000 });
}
