import { describe, expect, it } from '@jest/globals';
import { CorsOriginCache } from '../../lib/origins/cors-origin-cache.js';
import { LookupSlots } from '../../lib/origins/lookup-slots.js';

/** The queue behind resolverMaxInFlight (issue 26, BRIEF §5b): bounded, first come first served, each wait bounded. */

const RESOLVER = class Resolver {};
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A resolver whose calls the test settles by hand, recording the order they were asked in and how many ran at once. */
function manualResolver() {
  const asked: string[] = [];
  const settle = new Map<string, (allowed: boolean) => void>();
  let running = 0;
  let maxRunning = 0;
  const ask = (origin: string) => () => {
    asked.push(origin);
    maxRunning = Math.max(maxRunning, ++running);
    return new Promise<boolean>((resolve) =>
      settle.set(origin, (allowed) => {
        running--;
        resolve(allowed);
      }),
    );
  };
  return { asked, settle, ask, maxRunning: () => maxRunning };
}

const cache = (resolverMaxInFlight: number, resolverMaxQueued: number, resolverTimeoutMs = 1_000) =>
  new CorsOriginCache({ resolverCache: { ttlMs: 60_000, maxEntries: 1_000 }, resolverMaxInFlight, resolverMaxQueued, resolverTimeoutMs });

describe('the resolver queue', () => {
  it('beyond resolverMaxInFlight, an uncached origin waits and is asked once a slot is free', async () => {
    const subject = cache(1, 10);
    const resolver = manualResolver();
    const first = subject.lookup(RESOLVER, 'https://a.example.com', resolver.ask('https://a.example.com'));
    const second = subject.lookup(RESOLVER, 'https://b.example.com', resolver.ask('https://b.example.com'));
    expect(resolver.asked).toEqual(['https://a.example.com']);
    expect(subject.queued(RESOLVER)).toBe(1);
    resolver.settle.get('https://a.example.com')!(true);
    await expect(first).resolves.toBe(true);
    await wait(0);
    expect(resolver.asked).toEqual(['https://a.example.com', 'https://b.example.com']);
    expect(subject.queued(RESOLVER)).toBe(0);
    resolver.settle.get('https://b.example.com')!(true);
    await expect(second).resolves.toBe(true);
    expect(subject.answerOf(RESOLVER, 'https://b.example.com')).toBe(true);
  });

  it('asks the queued origins first come, first served, never more than resolverMaxInFlight at once', async () => {
    const subject = cache(4, 1_000);
    const asked: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const origins = Array.from({ length: 100 }, (_, index) => `https://o${index}.example.com`);
    const answers = origins.map((origin) =>
      subject.lookup(RESOLVER, origin, async () => {
        asked.push(origin);
        maxRunning = Math.max(maxRunning, ++running);
        await wait(1);
        running--;
        return true;
      }),
    );
    expect(subject.queued(RESOLVER)).toBe(96);
    expect(await Promise.all(answers)).toEqual(origins.map(() => true));
    expect(asked).toEqual(origins);
    expect(maxRunning).toBe(4);
    expect(subject.inFlight(RESOLVER)).toBe(0);
  });

  it('requests for one origin share one lookup while it waits in the queue', async () => {
    const subject = cache(1, 10);
    const resolver = manualResolver();
    void subject.lookup(RESOLVER, 'https://a.example.com', resolver.ask('https://a.example.com'));
    const waiting = Array.from(
      { length: 5 },
      () =>
        subject.peek(RESOLVER, 'https://b.example.com') ??
        subject.lookup(RESOLVER, 'https://b.example.com', resolver.ask('https://b.example.com')),
    );
    expect(subject.queued(RESOLVER)).toBe(1);
    resolver.settle.get('https://a.example.com')!(false);
    await wait(0);
    resolver.settle.get('https://b.example.com')!(true);
    expect(await Promise.all(waiting)).toEqual([true, true, true, true, true]);
    expect(resolver.asked).toEqual(['https://a.example.com', 'https://b.example.com']);
  });

  it('refuses at once, without asking or caching, when the queue is full', () => {
    const subject = cache(1, 2);
    const resolver = manualResolver();
    for (const origin of ['https://a.example.com', 'https://b.example.com', 'https://c.example.com']) {
      void subject.lookup(RESOLVER, origin, resolver.ask(origin));
    }
    expect(subject.queued(RESOLVER)).toBe(2);
    expect(subject.lookup(RESOLVER, 'https://d.example.com', resolver.ask('https://d.example.com'))).toBe(false);
    expect(subject.queued(RESOLVER)).toBe(2);
    expect(resolver.asked).toEqual(['https://a.example.com']);
    expect(subject.answerOf(RESOLVER, 'https://d.example.com')).toBeUndefined();
  });

  it('settles a wait longer than resolverTimeoutMs as "busy": refused, not asked, not cached, out of the queue', async () => {
    const subject = cache(1, 10, 30);
    const resolver = manualResolver();
    void subject.lookup(RESOLVER, 'https://a.example.com', resolver.ask('https://a.example.com'));
    const queued = subject.startLookup(RESOLVER, 'https://b.example.com', (release) => {
      release();
      return Promise.resolve(true);
    });
    expect(subject.queued(RESOLVER)).toBe(1);
    await expect(queued).resolves.toBe('busy');
    expect(subject.queued(RESOLVER)).toBe(0);
    expect(subject.pendingOf(RESOLVER, 'https://b.example.com')).toBeUndefined();
    expect(subject.answerOf(RESOLVER, 'https://b.example.com')).toBeUndefined();
    // The slot is still the first call's: the timed-out waiter never took one.
    expect(subject.inFlight(RESOLVER)).toBe(1);
    resolver.settle.get('https://a.example.com')!(true);
    await wait(0);
    expect(subject.inFlight(RESOLVER)).toBe(0);
  });

  it('with resolverMaxQueued: 0, refuses at once beyond resolverMaxInFlight, as without a queue', () => {
    const subject = cache(1, 0);
    const resolver = manualResolver();
    void subject.lookup(RESOLVER, 'https://a.example.com', resolver.ask('https://a.example.com'));
    expect(subject.startLookup(RESOLVER, 'https://b.example.com', () => Promise.resolve(true))).toBeUndefined();
    expect(subject.queued(RESOLVER)).toBe(0);
  });

  it('does not cache the answer of a queued lookup started before an invalidation', async () => {
    const subject = cache(1, 10);
    const resolver = manualResolver();
    void subject.lookup(RESOLVER, 'https://a.example.com', resolver.ask('https://a.example.com'));
    const queued = subject.lookup(RESOLVER, 'https://b.example.com', resolver.ask('https://b.example.com'));
    subject.invalidate('https://b.example.com');
    resolver.settle.get('https://a.example.com')!(true);
    await wait(0);
    resolver.settle.get('https://b.example.com')!(true);
    await expect(queued).resolves.toBe(true);
    expect(subject.answerOf(RESOLVER, 'https://b.example.com')).toBeUndefined();
  });
});

describe('LookupSlots', () => {
  it('gives a slot back once per release, however often it is called', async () => {
    const slots = new LookupSlots(1, 10, 1_000);
    let release: () => void = () => undefined;
    void slots.run((given) => {
      release = given;
      return new Promise<boolean>(() => undefined);
    });
    const second = slots.run(() => Promise.resolve(true));
    release();
    release();
    await expect(second).resolves.toBe(true);
    expect(slots.inFlight).toBe(1); // the second call's slot, never released by it
  });

  it('a queued call that throws gives its slot back and rejects', async () => {
    const slots = new LookupSlots(1, 10, 1_000);
    let release: () => void = () => undefined;
    void slots.run((given) => {
      release = given;
      return new Promise<boolean>(() => undefined);
    });
    const throwing = slots.run(() => {
      throw new Error('synchronous');
    });
    release();
    await expect(throwing).rejects.toThrow('synchronous');
    expect(slots.inFlight).toBe(0);
  });
});
