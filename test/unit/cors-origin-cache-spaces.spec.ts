import { describe, expect, it } from '@jest/globals';
import { BoundedAnswers } from '../../lib/origins/bounded-answers.js';
import { CorsOriginCache } from '../../lib/origins/cors-origin-cache.js';

/** The cache's two bounded spaces (allowed, refused): issue 17, "Origin floods". */

const RESOLVER = class Resolver {};
const answer = (allowed: boolean) => () => Promise.resolve(allowed);

describe('BoundedAnswers', () => {
  it('keeps at most maxEntries, the oldest going first', () => {
    const space = new BoundedAnswers(2);
    space.add('a', Infinity);
    space.add('b', Infinity);
    space.add('c', Infinity);
    expect([space.has('a', 0), space.has('b', 0), space.has('c', 0)]).toEqual([false, true, true]);
    expect(space.size).toBe(2);
  });

  it('moves an answer stored again to the newest place', () => {
    const space = new BoundedAnswers(2);
    space.add('a', Infinity);
    space.add('b', Infinity);
    space.add('a', Infinity);
    space.add('c', Infinity);
    expect([space.has('a', 0), space.has('b', 0), space.has('c', 0)]).toEqual([true, false, true]);
  });

  it('drops an expired answer when it is read', () => {
    const space = new BoundedAnswers(10);
    space.add('a', 100);
    expect(space.has('a', 99)).toBe(true);
    expect(space.has('a', 100)).toBe(false);
    expect(space.size).toBe(0);
  });
});

describe('CorsOriginCache spaces', () => {
  const cache = (maxEntries: number, resolverMaxInFlight = 1_000, resolverMaxQueued?: number) =>
    new CorsOriginCache({ resolverCache: { maxEntries, ttlMs: 60_000 }, resolverMaxInFlight, resolverMaxQueued });

  it('refused answers never evict an allowed one', async () => {
    const subject = cache(100);
    await subject.lookup(RESOLVER, 'https://trusted.example.com', answer(true));
    for (let index = 0; index < 1_000; index++) await subject.lookup(RESOLVER, `https://x${index}.example.com`, answer(false));
    expect(subject.answerOf(RESOLVER, 'https://trusted.example.com')).toBe(true);
    expect(subject.size(RESOLVER)).toBe(101);
  });

  it('bounds each space by maxEntries', async () => {
    const subject = cache(10);
    for (let index = 0; index < 50; index++) {
      await subject.lookup(RESOLVER, `https://ok${index}.example.com`, answer(true));
      await subject.lookup(RESOLVER, `https://no${index}.example.com`, answer(false));
    }
    expect(subject.size(RESOLVER)).toBe(20);
    expect(subject.answerOf(RESOLVER, 'https://ok0.example.com')).toBeUndefined();
    expect(subject.answerOf(RESOLVER, 'https://ok49.example.com')).toBe(true);
    expect(subject.answerOf(RESOLVER, 'https://no49.example.com')).toBe(false);
  });

  it('an origin whose answer changes moves between the spaces', async () => {
    const subject = cache(10);
    await subject.lookup(RESOLVER, 'https://a.example.com', answer(false));
    subject.invalidate('https://a.example.com');
    await subject.lookup(RESOLVER, 'https://a.example.com', answer(true));
    expect(subject.answerOf(RESOLVER, 'https://a.example.com')).toBe(true);
    expect(subject.size(RESOLVER)).toBe(1);
  });

  it('starts at most resolverMaxInFlight lookups, and with resolverMaxQueued: 0 refuses without asking beyond', async () => {
    const subject = cache(10, 2, 0);
    let asked = 0;
    const never = () => {
      asked++;
      return new Promise<boolean>(() => undefined);
    };
    void subject.lookup(RESOLVER, 'https://a.example.com', never);
    void subject.lookup(RESOLVER, 'https://b.example.com', never);
    expect(subject.lookup(RESOLVER, 'https://c.example.com', never)).toBe(false);
    expect(asked).toBe(2);
    expect(subject.inFlight(RESOLVER)).toBe(2);
    expect(subject.answerOf(RESOLVER, 'https://c.example.com')).toBeUndefined(); // a busy refusal is not cached
  });

  it('settles a failed lookup as "failed" for every request that shares it, and caches nothing', async () => {
    const subject = cache(10);
    const lookup = subject.startLookup(RESOLVER, 'https://a.example.com', () => Promise.reject(new Error('down')));
    expect(subject.pendingOf(RESOLVER, 'https://a.example.com')).toBe(lookup);
    await expect(lookup).resolves.toBe('failed');
    expect(subject.answerOf(RESOLVER, 'https://a.example.com')).toBeUndefined();
  });
});
