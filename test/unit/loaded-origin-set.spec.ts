import { describe, expect, it, jest } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import type { CorsRequest } from '../../lib/cors-request.interface.js';
import { dynamicRefusalOf } from '../../lib/decisions/cors-refusal.js';
import { LoadedOriginSet } from '../../lib/origins/loaded-origin-set.js';

/** The in-memory set of a CorsOriginSource: issue 17, "Origin floods". */

const logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn() } as unknown as Logger;
const request = () => ({ headers: {} }) as CorsRequest;
const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

function deferredSource(origins: string[]) {
  const pending: Array<() => void> = [];
  return {
    loads: 0,
    manual: false,
    loadOrigins() {
      this.loads++;
      if (!this.manual) return [...origins];
      return new Promise<string[]>((resolve) => pending.push(() => resolve([...origins])));
    },
    finish: () => pending.shift()?.(),
    origins,
  };
}

describe('LoadedOriginSet', () => {
  it('answers a miss synchronously when no invalidation is pending', async () => {
    const source = deferredSource(['https://a.example.com']);
    const set = new LoadedOriginSet(source, 'S', { ttlMs: 0, timeoutMs: 1_000, logger });
    await set.start();
    expect(set.origins.has('https://a.example.com')).toBe(true);
    expect(set.missed('https://b.example.com', request())).toBe(false);
    expect(source.loads).toBe(1);
  });

  it('makes a miss wait for the load an invalidation asked for, not for a periodic one', async () => {
    const source = deferredSource(['https://a.example.com']);
    const set = new LoadedOriginSet(source, 'S', { ttlMs: 0, timeoutMs: 1_000, logger });
    await set.start();
    source.manual = true;
    source.origins.push('https://b.example.com');
    set.invalidate('https://b.example.com');
    const answer = set.missed('https://b.example.com', request());
    expect(answer).toBeInstanceOf(Promise);
    await tick();
    source.finish();
    await expect(answer).resolves.toBe(true);
  });

  it('a miss waiting on a load keeps waiting when an invalidation of its origin arrived during that load', async () => {
    const source = deferredSource(['https://a.example.com']);
    const set = new LoadedOriginSet(source, 'S', { ttlMs: 0, timeoutMs: 1_000, logger });
    await set.start();
    source.manual = true;
    source.origins.push('https://b.example.com');
    set.invalidate('https://b.example.com'); // the admin API, after its commit
    const answer = set.missed('https://b.example.com', request());
    await tick(); // the load is under way
    set.invalidate('https://b.example.com'); // the change's NOTIFY, heard during the load
    source.finish(); // its result is left out (it may predate the change): one more load follows
    await tick();
    source.finish();
    await expect(answer).resolves.toBe(true);
    expect(source.loads).toBe(3);
  });

  it('a load that started before invalidate(origin) does not bring a removed origin back', async () => {
    const source = deferredSource(['https://a.example.com', 'https://gone.example.com']);
    const set = new LoadedOriginSet(source, 'S', { ttlMs: 0, timeoutMs: 1_000, logger });
    await set.start();
    source.manual = true;
    set.invalidateAll();
    await tick(); // the load is under way and will return the old rows
    set.invalidate('https://gone.example.com');
    source.origins.splice(1, 1);
    source.finish();
    await tick();
    expect(set.origins.has('https://gone.example.com')).toBe(false);
    expect(set.origins.has('https://a.example.com')).toBe(true);
    source.finish(); // the follow-up load
    await tick();
    expect(source.loads).toBe(3);
  });

  it('marks "resolver failed" while nothing could be loaded, and plain refusals once loaded', async () => {
    let fail = true;
    const source = {
      loadOrigins: () => (fail ? Promise.reject(new Error('down')) : ['https://a.example.com']),
    };
    const set = new LoadedOriginSet(source, 'S', { ttlMs: 0, timeoutMs: 1_000, logger });
    await set.start();
    const failed = request();
    expect(set.missed('https://a.example.com', failed)).toBe(false);
    expect(dynamicRefusalOf(failed)).toBe('resolver failed');
    fail = false;
    set.invalidateAll();
    await tick();
    const refused = request();
    expect(set.missed('https://b.example.com', refused)).toBe(false);
    expect(dynamicRefusalOf(refused)).toBeUndefined();
    set.stop();
  });

  it('a load slower than timeoutMs fails', async () => {
    const source = { loadOrigins: () => new Promise<string[]>(() => undefined) };
    const set = new LoadedOriginSet(source, 'Slow', { ttlMs: 0, timeoutMs: 20, logger });
    await set.start();
    expect(set.origins.size).toBe(0);
    expect(String(jest.mocked(logger.error).mock.calls.at(-1)?.[0])).toMatch(/Slow failed to load.*did not answer within 20 ms/);
    set.stop();
  });
});
