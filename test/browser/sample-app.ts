import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSampleApp } from '../../sample/app.js';
import type { Platform } from '../support/apps.js';
import { RequestLog } from './request-log.js';

/** The sample app as the browser suites drive it: listening, its requests logged, its admin API at hand. */
export interface BrowserSample {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly log: RequestLog;
  /** Calls the admin API with the token (a JSON content type only with a body: Fastify answers an empty JSON body with 400). */
  admin(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** The admin token the sample is started with, for tests that send it from a page. */
export const BROWSER_SAMPLE_ADMIN_TOKEN = 'browser-suite-admin-token';

/**
 * Starts the sample on `platform` with a fresh embedded database (5 to 20 s to initialise, more
 * on a busy machine) and a long cache TTL: a refusal cached by a first request must be
 * invalidated by the admin API, not expire.
 */
export async function startBrowserSample(platform: Platform): Promise<BrowserSample> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cors-browser-pglite-'));
  const { app } = await createSampleApp({
    logger: false,
    env: {},
    platform,
    pgliteDir: dataDir,
    adminToken: BROWSER_SAMPLE_ADMIN_TOKEN,
    cacheTtlMs: 60_000,
  });
  if (app.getHttpAdapter().getType() !== platform)
    throw new Error(`the sample started on ${app.getHttpAdapter().getType()}, not ${platform}`);
  const log = new RequestLog(app.getHttpServer() as Server);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    url,
    log,
    admin: (path, init = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: {
          Authorization: `Bearer ${BROWSER_SAMPLE_ADMIN_TOKEN}`,
          ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(init.headers as Record<string, string> | undefined),
        },
      }),
    close: async () => {
      log.detach();
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
