import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { CORS_INVALIDATION_MAX_PAYLOAD_LENGTH, CorsCacheInvalidator } from '../../lib/origins/cors-invalidation-bus.js';

function setUp(name = 'test bus') {
  const cache = { invalidate: jest.fn<(origin: string) => void>(), invalidateAll: jest.fn<() => void>() };
  const logger = { log: jest.fn<(message: string) => void>(), warn: jest.fn<(message: string) => void>() };
  const bus = new CorsCacheInvalidator(cache, { name, logger });
  const lines = () => [...logger.log.mock.calls, ...logger.warn.mock.calls].map(([message]) => message);
  return { cache, logger, bus, lines };
}

describe('CorsCacheInvalidator', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2030-01-01T00:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  describe('onMessage with tenant scopes', () => {
    const ORIGIN = 'https://app.acme.example';
    function scopedSetUp() {
      const cache = {
        invalidate: jest.fn<(origin: string, options?: { scope?: string }) => void>(),
        invalidateAll: jest.fn<() => void>(),
        invalidateScope: jest.fn<(scope: string) => void>(),
      };
      const logger = { log: jest.fn<(message: string) => void>(), warn: jest.fn<(message: string) => void>() };
      return { cache, logger, bus: new CorsCacheInvalidator(cache, { logger }) };
    }

    it('{"scope", "origin"} invalidates the origin in that scope; {"scope"} the whole scope', () => {
      const { cache, bus, logger } = scopedSetUp();
      expect(bus.onMessage(JSON.stringify({ scope: 'acme', origin: ORIGIN }))).toBe(ORIGIN);
      expect(cache.invalidate).toHaveBeenCalledWith(ORIGIN, { scope: 'acme' });
      expect(bus.onMessage(JSON.stringify({ scope: 'globex' }))).toBe('globex');
      expect(cache.invalidateScope).toHaveBeenCalledWith('globex');
      expect(logger.warn).not.toHaveBeenCalled();
    });

    it.each([
      ['a scope that is not a string', { scope: 7, origin: ORIGIN }],
      ['a scope over 256 characters', { scope: 'a'.repeat(257) }],
      ['an origin that is not serialized', { scope: 'acme', origin: `${ORIGIN}/` }],
      ['an origin that is not a string', { scope: 'acme', origin: ['x'] }],
      ['an extra key', { scope: 'acme', origin: ORIGIN, all: true }],
      ['no scope', { origin: ORIGIN }],
      ['null', null],
    ])('ignores %s, changing nothing', (_, message) => {
      const { cache, bus, logger } = scopedSetUp();
      expect(bus.onMessage(JSON.stringify(message))).toBeUndefined();
      expect(cache.invalidate).not.toHaveBeenCalled();
      expect(cache.invalidateScope).not.toHaveBeenCalled();
      expect(cache.invalidateAll).not.toHaveBeenCalled();
      expect(logger.warn).toHaveBeenCalledTimes(1);
    });

    it('a cache without invalidateScope (a stand-in written before scopes) forgets everything for a scope message', () => {
      const { cache, bus } = setUp();
      expect(bus.onMessage('{"scope": "acme"}')).toBe('acme');
      expect(cache.invalidateAll).toHaveBeenCalledTimes(1);
    });
  });

  describe('onMessage', () => {
    it.each(['https://app.example.com', 'http://localhost:3000', 'http://[::1]:8080'])('invalidates the origin %s, silently', (origin) => {
      const { cache, bus, lines } = setUp();
      expect(bus.onMessage(origin)).toBe(origin);
      expect(cache.invalidate).toHaveBeenCalledTimes(1);
      expect(cache.invalidate).toHaveBeenCalledWith(origin);
      expect(cache.invalidateAll).not.toHaveBeenCalled();
      expect(lines()).toEqual([]);
    });

    it.each([
      ['not a string', 42],
      ['null', null],
      ['undefined', undefined],
      ['an object', { origin: 'https://app.example.com' }],
      ['a Buffer', Buffer.from('https://app.example.com')],
      ['empty', ''],
      ['a trailing slash', 'https://app.example.com/'],
      ['upper case', 'HTTPS://APP.EXAMPLE.COM'],
      ['a default port', 'https://app.example.com:443'],
      ['the null origin', 'null'],
      ['a wildcard', 'https://*.example.com'],
      ['two origins', 'https://a.example.com https://b.example.com'],
      ['JSON', '{"origin":"https://app.example.com"}'],
      ['SQL', "'; DROP TABLE trusted_origins; --"],
      ['whitespace around', ' https://app.example.com\n'],
    ])('changes nothing for a payload that is %s, and logs one line', (_case, payload) => {
      const { cache, bus, logger } = setUp();
      expect(bus.onMessage(payload)).toBeUndefined();
      expect(cache.invalidate).not.toHaveBeenCalled();
      expect(cache.invalidateAll).not.toHaveBeenCalled();
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.warn.mock.calls[0][0]).toMatch(/^test bus: ignored a message that is .*; nothing was invalidated$/);
      expect(logger.log).not.toHaveBeenCalled();
    });

    it('ignores a huge payload, and quotes only its start', () => {
      const { cache, bus, logger } = setUp();
      const huge = `https://${'a'.repeat(7_900)}.example.com`;
      expect(bus.onMessage(huge)).toBeUndefined();
      expect(bus.onMessage(`https://${'a'.repeat(CORS_INVALIDATION_MAX_PAYLOAD_LENGTH)}.example`)).toBeUndefined();
      expect(cache.invalidate).not.toHaveBeenCalled();
      const line = logger.warn.mock.calls[0][0];
      expect(line).toContain(`${huge.length} characters long (at most ${CORS_INVALIDATION_MAX_PAYLOAD_LENGTH})`);
      expect(line.length).toBeLessThan(300);
    });

    it('acts on the longest origin a page can have (a 253-byte host and a port)', () => {
      const { cache, bus } = setUp();
      const longest = `https://${`${'b'.repeat(62)}.`.repeat(3)}${'c'.repeat(56)}.example:65535`;
      expect(longest.length).toBe('https://'.length + 253 + ':65535'.length);
      expect(bus.onMessage(longest)).toBe(longest);
      expect(cache.invalidate.mock.calls).toEqual([[longest]]);
    });

    it('reads a payload at the limit, and ignores one a character longer unread', () => {
      const atLimit = setUp();
      expect(atLimit.bus.onMessage(`https://${'c'.repeat(CORS_INVALIDATION_MAX_PAYLOAD_LENGTH - 'https://'.length)}`)).toBeUndefined();
      expect(atLimit.logger.warn.mock.calls[0][0]).toContain('not a serialized origin');
      const over = setUp();
      expect(over.bus.onMessage(`https://${'c'.repeat(CORS_INVALIDATION_MAX_PAYLOAD_LENGTH + 1 - 'https://'.length)}`)).toBeUndefined();
      expect(over.logger.warn.mock.calls[0][0]).toContain(`${CORS_INVALIDATION_MAX_PAYLOAD_LENGTH + 1} characters long`);
      expect([...atLimit.cache.invalidate.mock.calls, ...over.cache.invalidate.mock.calls]).toEqual([]);
    });

    it('escapes the payload in the log line, so it cannot forge lines or terminal codes', () => {
      const { bus, logger } = setUp();
      bus.onMessage('https://a.example\n[Nest] 1 - LOG admin logged in\u001b[2J');
      const line = logger.warn.mock.calls[0][0];
      expect(line).not.toContain('\n');
      expect(line).not.toContain('\u001b');
      expect(line).toContain('\\n[Nest] 1 - LOG admin logged in\\u001b[2J');
    });

    it('logs a burst of bad payloads once, then reports how many it left out with the next burst', () => {
      const { cache, bus, logger } = setUp();
      for (let i = 0; i < 50; i++) bus.onMessage(`garbage ${i}`);
      expect(logger.warn).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(9_000);
      bus.onMessage('still garbage');
      expect(logger.warn).toHaveBeenCalledTimes(1);
      jest.advanceTimersByTime(10_001);
      bus.onMessage(42);
      expect(logger.warn).toHaveBeenCalledTimes(2);
      expect(logger.warn.mock.calls[1][0]).toMatch(/not a string but number.*\(50 more ignored since the last report\)$/);
      expect(cache.invalidate).not.toHaveBeenCalled();
    });

    it('keeps invalidating valid origins in the middle of a burst of bad ones', () => {
      const { cache, bus } = setUp();
      bus.onMessage('bad');
      bus.onMessage('https://good.example');
      bus.onMessage('bad again');
      expect(cache.invalidate.mock.calls).toEqual([['https://good.example']]);
    });
  });

  describe('onSubscribed and onDisconnected', () => {
    it('forgets every answer on the first subscription, silently (changes before it were not heard)', () => {
      const { cache, bus, lines } = setUp();
      expect(bus.connected).toBe(false);
      bus.onSubscribed();
      expect(cache.invalidateAll).toHaveBeenCalledTimes(1);
      expect(bus.connected).toBe(true);
      expect(lines()).toEqual([]);
    });

    it('logs an outage once, however many attempts fail, and the recovery once, with its duration', () => {
      const { cache, bus, logger } = setUp('PostgreSQL LISTEN "cors_origins"');
      bus.onSubscribed();
      bus.onDisconnected(new Error('terminating connection due to administrator command'));
      expect(bus.connected).toBe(false);
      for (let attempt = 0; attempt < 5; attempt++) {
        jest.advanceTimersByTime(500);
        bus.onDisconnected(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
      }
      expect(logger.warn).toHaveBeenCalledTimes(1);
      expect(logger.warn.mock.calls[0][0]).toBe(
        'PostgreSQL LISTEN "cors_origins" is down ("terminating connection due to administrator command"): until it is back, ' +
          'a trusted-origin change made on another instance takes effect there when the cached answer expires (resolverCache.ttlMs)',
      );
      expect(cache.invalidateAll).toHaveBeenCalledTimes(1);

      bus.onSubscribed();
      expect(cache.invalidateAll).toHaveBeenCalledTimes(2);
      expect(bus.connected).toBe(true);
      expect(logger.log).toHaveBeenCalledTimes(1);
      expect(logger.log.mock.calls[0][0]).toBe(
        'PostgreSQL LISTEN "cors_origins" is back after 2.5 s; every cached CORS answer was dropped, so changes made meanwhile apply from now on',
      );
    });

    it('logs each outage once: a second outage after a recovery is logged again', () => {
      const { bus, logger } = setUp();
      bus.onSubscribed();
      bus.onDisconnected('closed');
      bus.onSubscribed();
      bus.onDisconnected('closed');
      bus.onDisconnected('closed');
      bus.onSubscribed();
      expect(logger.warn).toHaveBeenCalledTimes(2);
      expect(logger.log).toHaveBeenCalledTimes(2);
    });

    it('says "not connected yet" when the first connection fails', () => {
      const { bus, logger } = setUp();
      bus.onDisconnected();
      expect(logger.warn.mock.calls[0][0]).toMatch(/^test bus is not connected yet: until it is back/);
      bus.onSubscribed();
      expect(logger.log.mock.calls[0][0]).toMatch(/^test bus is connected after 0\.0 s/);
    });

    it('subscribing again without an outage still forgets every answer (a resubscription may have missed messages)', () => {
      const { cache, bus, lines } = setUp();
      bus.onSubscribed();
      bus.onSubscribed();
      expect(cache.invalidateAll).toHaveBeenCalledTimes(2);
      expect(lines()).toEqual([]);
    });

    it('escapes the disconnection reason', () => {
      const { bus, logger } = setUp();
      bus.onDisconnected('line one\nline two');
      expect(logger.warn.mock.calls[0][0]).toContain('("line one\\nline two")');
    });
  });

  it("logs through Nest's Logger (context CorsPolicy) when no logger is given", async () => {
    const { Logger } = await import('@nestjs/common');
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const bus = new CorsCacheInvalidator({ invalidate: () => undefined, invalidateAll: () => undefined });
      bus.onMessage('bad');
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^invalidation bus: ignored a message/));
      expect(warn.mock.contexts[0]).toMatchObject({ context: 'CorsPolicy' });
    } finally {
      warn.mockRestore();
    }
  });
});
