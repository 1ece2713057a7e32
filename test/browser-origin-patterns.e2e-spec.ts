/**
 * Issue 28 in a real browser: a loopback port rule (`'http://localhost:*'`) lets a page on
 * `http://localhost:<random port>` read a credentialed route (simple and preflighted requests),
 * and refuses pages on other loopback origins the rule does not name: `http://127.0.0.2:<port>`
 * (the whole 127/8 is loopback on Linux) and `http://127.0.0.1:<port>`. The API's server log
 * shows the handler ran for the refused page: the browser, not the server, withheld the answer.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, Module, Put, Req, type INestApplication } from '@nestjs/common';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { BrowserContext, Page } from 'playwright-core';
import { CorsModule, CorsPolicy } from '../lib/index.js';
import { CORS_FAILURE, probe, readable } from './browser/chromium.js';
import type { PageServer } from './browser/page-server.js';
import { RequestLog } from './browser/request-log.js';
import { describeInBrowser, useBrowserStage } from './browser/stage.js';
import { createPlatformFactoryApp, PLATFORMS, type Platform } from './support/apps.js';

jest.setTimeout(30_000);

@Controller('dev')
@CorsPolicy({ origin: ['https://app.example.com', 'http://localhost:*'], credentials: true, allowedHeaders: ['Content-Type', 'X-Dev'] })
class DevController {
  @Get() read(@Req() req: { headers: IncomingHttpHeaders }) {
    return { origin: req.headers.origin ?? null };
  }
  @Put() write() {
    return { saved: true };
  }
}

@Module({ imports: [CorsModule.forRoot({ origin: ['https://app.example.com'] })], controllers: [DevController] })
class LoopbackDevModule {}

async function startApi(platform: Platform): Promise<{ app: INestApplication; url: string; log: RequestLog }> {
  const app = await createPlatformFactoryApp(LoopbackDevModule, { logger: false }, platform);
  const log = new RequestLog(app.getHttpServer() as Server);
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), log };
}

describeInBrowser('browser origin patterns suite')('a loopback port rule in headless Chromium', () => {
  const stage = useBrowserStage([['127.0.0.1', 'localhost'], ['127.0.0.2'], ['127.0.0.1']]);
  let localhost: PageServer;
  let otherLoopback: PageServer;
  let loopbackIp: PageServer;

  beforeAll(() => {
    [localhost, otherLoopback, loopbackIp] = stage.pageServers;
  });

  describe.each(PLATFORMS)('on %s', (platform) => {
    let api: { app: INestApplication; url: string; log: RequestLog } | undefined;
    const contexts: BrowserContext[] = [];
    const pages: Page[] = [];

    async function openPage(server: PageServer): Promise<Page> {
      const context = await stage.browser.newContext();
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(server.pageUrl);
      expect(await page.evaluate('location.origin')).toBe(server.origin);
      return page;
    }

    beforeAll(async () => {
      api = await startApi(platform);
      for (const server of [localhost, otherLoopback, loopbackIp]) pages.push(await openPage(server));
    }, 120_000);
    afterAll(async () => {
      await Promise.all(contexts.map((context) => context.close()));
      api?.log.detach();
      await api?.app.close();
    }, 60_000);

    it('the pages are on http://localhost:<random port>, http://127.0.0.2:<port> and http://127.0.0.1:<port>', () => {
      expect(localhost.origin).toMatch(/^http:\/\/localhost:\d+$/);
      expect(otherLoopback.origin).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
      expect(loopbackIp.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    });

    it('the localhost page reads the credentialed route, a simple GET and a preflighted PUT', async () => {
      const read = readable(await probe(pages[0], `${api!.url}/dev?from=localhost`, { credentials: 'include' }));
      expect(read.status).toBe(200);
      expect(JSON.parse(read.body)).toEqual({ origin: localhost.origin });

      const write = readable(
        await probe(pages[0], `${api!.url}/dev?from=localhost`, {
          method: 'PUT',
          credentials: 'include',
          headers: { 'Content-Type': 'application/json', 'X-Dev': '1' },
          body: '{}',
        }),
      );
      expect(JSON.parse(write.body)).toEqual({ saved: true });
      expect(api!.log.preflightsTo('/dev?from=localhost')).toEqual([expect.objectContaining({ origin: localhost.origin })]);
    });

    it.each([
      { index: 1, label: 'http://127.0.0.2:<port> (a loopback address the rule does not name)' },
      { index: 2, label: 'http://127.0.0.1:<port> (the rule names localhost only)' },
    ])('the page on $label is refused: fetch throws, though the handler answered 200', async ({ index }) => {
      const page = pages[index];
      const origin = (await page.evaluate('location.origin')) as string;
      const query = `/dev?from=page-${index}`;
      expect(await probe(page, `${api!.url}${query}`, { credentials: 'include' })).toEqual({
        ok: false,
        error: expect.stringMatching(CORS_FAILURE),
      });
      expect(api!.log.to('GET', query)).toEqual([expect.objectContaining({ origin, status: 200 })]);
    });
  });
});
