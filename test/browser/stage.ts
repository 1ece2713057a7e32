import { afterAll, beforeAll, describe } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { CHROMIUM_PATH, chromiumIsInstalled, launchChromium } from './chromium.js';
import { startPageServer, type PageServer } from './page-server.js';

/**
 * `describe` for a suite that needs Chromium: without it the suite is skipped with a warning,
 * except in CI (CI=true), where it runs and its `useBrowserStage` fails the run.
 */
export function describeInBrowser(suite: string): (name: string, body: () => void) => void {
  if (chromiumIsInstalled() || process.env.CI === 'true') return describe;
  console.warn(
    `[${suite}] SKIPPED: no Chromium at ${CHROMIUM_PATH}. Install Debian's chromium (apt-get install chromium); in CI (CI=true) it fails.`,
  );
  return describe.skip;
}

/** The browser and page servers a suite's blocks share. */
export interface BrowserStage {
  readonly browser: Browser;
  /** One per host given to `useBrowserStage`, in that order. */
  readonly pageServers: readonly PageServer[];
}

/**
 * Starts one page server per `[ip, hostname?]` and one Chromium in a `beforeAll` of the calling
 * block, and closes them in its `afterAll`. Read the stage in hooks and tests, not at declaration.
 */
export function useBrowserStage(hosts: ReadonlyArray<readonly [ip: string, hostname?: string]>): BrowserStage {
  let browser: Browser | undefined;
  const pageServers: PageServer[] = [];
  beforeAll(async () => {
    if (!chromiumIsInstalled()) {
      throw new Error(`CI=true and no Chromium at ${CHROMIUM_PATH}: the CI script must install it (apt-get install -y chromium)`);
    }
    for (const [ip, hostname] of hosts) pageServers.push(await startPageServer(ip, hostname));
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all(pageServers.map((server) => server.close()));
  }, 60_000);
  return {
    get browser() {
      if (browser === undefined) throw new Error('the browser stage is read before its beforeAll ran');
      return browser;
    },
    pageServers,
  };
}
