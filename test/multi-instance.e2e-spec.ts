import { randomBytes } from 'node:crypto';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { INestApplication, LoggerService } from '@nestjs/common';
import pg from 'pg';
import request, { type Response } from 'supertest';
import { CorsOriginCache } from '../lib/index.js';
import { createSampleApp, type SampleAppOptions } from '../sample/app.js';
import { OriginsRepository } from '../sample/origins/origins.repository.js';
import { PostgresListener, type ChangeHandlers } from '../sample/origins/postgres-listener.js';
import type { SampleConfig } from '../sample/sample-config.js';
import { pgliteDatabase, uniqueTable } from './support/sample-databases.js';

/**
 * Issue "Many instances": a trusted-origin change reaches every instance through PostgreSQL
 * LISTEN/NOTIFY. The cache TTL is 10 minutes throughout, so only a notification (or a
 * reconnection) can explain a change seen within a second.
 */
const TTL_MS = 10 * 60_000;
const PROPAGATION_MS = 1_000;
const POLL_MS = 50;
const TOKEN = 'test-admin-token-multi-instance';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const STARTUP_TIMEOUT_MS = 120_000;

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly context: string | undefined;
}

/** One logger for every app of the suite: Nest's Logger is process-wide, lines are told apart by instance. */
class CapturingLogger implements LoggerService {
  readonly lines: LogLine[] = [];
  log(message: unknown, context?: string): void {
    this.push('log', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.push('error', message, rest.at(-1) as string | undefined);
  }
  warn(message: unknown, context?: string): void {
    this.push('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.push('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.push('verbose', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.push('fatal', message, context);
  }

  /** Lines of the OriginChanges listener that name `feed` (an instance's change feed). */
  about(feed: string): LogLine[] {
    return this.lines.filter((line) => line.context === 'OriginChanges' && line.message.startsWith(feed));
  }

  private push(level: string, message: unknown, context: string | undefined): void {
    this.lines.push({ level, message: String(message), context });
  }
}

interface Instance {
  readonly app: INestApplication;
  readonly config: SampleConfig;
  /** `http://127.0.0.1:<port>`: each instance listens on a port of its own. */
  readonly url: string;
  readonly cache: CorsOriginCache;
  /** Its change feed's name, as in its log lines. */
  readonly feed: string;
}

async function startInstance(options: SampleAppOptions, logger: LoggerService): Promise<Instance> {
  // `env: {}`: a DATABASE_URL or ADMIN_TOKEN of the machine does not leak in.
  const { app, config } = await createSampleApp({ adminToken: TOKEN, cacheTtlMs: TTL_MS, logger, env: {}, ...options });
  await app.listen(0, '127.0.0.1');
  return { app, config, url: await app.getUrl(), cache: app.get(CorsOriginCache), feed: app.get(OriginsRepository).changeFeedName };
}

function partnerOrders(instance: Instance, origin: string): Promise<Response> {
  return request(instance.url).get('/partners/orders').set('Origin', origin);
}

function isAllowed(res: Response, origin: string): boolean {
  expect(res.status).toBe(200);
  const allowed = res.headers['access-control-allow-origin'] === origin && res.headers['access-control-allow-credentials'] === 'true';
  if (!allowed) expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  return allowed;
}

async function addOrigin(instance: Instance, origin: string): Promise<void> {
  await request(instance.url).post('/admin/origins').set(AUTH).send({ origin }).expect(201);
}

async function removeOrigin(instance: Instance, origin: string): Promise<void> {
  await request(instance.url)
    .delete(`/admin/origins/${encodeURIComponent(origin)}`)
    .set(AUTH)
    .expect(204);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls every 50 ms until `check()` is true; returns how long it took, or fails after `timeoutMs`. */
async function within(timeoutMs: number, what: string, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(POLL_MS);
  }
}

function uniqueOrigin(label: string): string {
  return `https://${label}-${randomBytes(4).toString('hex')}.partner.example`;
}

/**
 * Acceptance 1 and 3: `write` changes an origin, `reader` sees the change within a second
 * although it cached the opposite answer for 10 minutes just before.
 */
function describeAddAndRemove(
  writerName: string,
  readerName: string,
  get: () => { writer: (origin: string, change: 'add' | 'remove') => Promise<void>; reader: Instance },
): void {
  it(`an origin added through ${writerName} is allowed by ${readerName} within 1 s (TTL 10 min)`, async () => {
    const { writer, reader } = get();
    expect(reader.config.cacheTtlMs).toBe(TTL_MS);
    const origin = uniqueOrigin('added');
    expect(isAllowed(await partnerOrders(reader, origin), origin)).toBe(false); // cached: refused, for 10 minutes
    await writer(origin, 'add');
    const took = await within(PROPAGATION_MS, `${readerName} allows ${origin}`, async () =>
      isAllowed(await partnerOrders(reader, origin), origin),
    );
    expect(took).toBeLessThanOrEqual(PROPAGATION_MS);
  });

  it(`an origin removed through ${writerName} is refused by ${readerName} within 1 s (TTL 10 min)`, async () => {
    const { writer, reader } = get();
    const origin = uniqueOrigin('removed');
    await writer(origin, 'add');
    await within(PROPAGATION_MS, `${readerName} allows ${origin}`, async () => isAllowed(await partnerOrders(reader, origin), origin)); // cached: allowed
    await writer(origin, 'remove');
    const took = await within(
      PROPAGATION_MS,
      `${readerName} refuses ${origin}`,
      async () => !isAllowed(await partnerOrders(reader, origin), origin),
    );
    expect(took).toBeLessThanOrEqual(PROPAGATION_MS);
  });
}

function adminApi(instance: () => Instance) {
  return (origin: string, change: 'add' | 'remove') =>
    change === 'add' ? addOrigin(instance(), origin) : removeOrigin(instance(), origin);
}

describe('one instance on PGlite (notifications in process)', () => {
  const database = pgliteDatabase();
  const logger = new CapturingLogger();
  let instance: Instance;

  beforeAll(async () => {
    instance = await startInstance(database.appOptions(uniqueTable('multi')), logger);
  }, STARTUP_TIMEOUT_MS);
  afterAll(async () => {
    await instance?.app.close();
    await database.cleanUp();
  });

  describeAddAndRemove('the admin API', 'the instance', () => ({ writer: adminApi(() => instance), reader: instance }));

  // The repository, not the admin API: nothing but the NOTIFY invalidates the cache.
  describeAddAndRemove('the repository alone', 'the instance', () => ({
    writer: async (origin, change) => {
      const repository = instance.app.get(OriginsRepository);
      if (change === 'add') expect(await repository.add(origin)).toBe('added');
      else expect(await repository.remove(origin)).toBe(true);
    },
    reader: instance,
  }));

  it('names the feed and logs nothing on a healthy start', () => {
    expect(instance.feed).toBe('PGlite LISTEN cors_origins');
    expect(logger.about(instance.feed)).toEqual([]);
  });
});

const postgresUrl = process.env.TEST_DATABASE_URL;
if (postgresUrl) {
  describePostgres(postgresUrl);
} else if (process.env.CI === 'true') {
  describe('several instances on PostgreSQL', () => {
    it('has a server to run on', () => {
      throw new Error('TEST_DATABASE_URL is not set; CI must run the multi-instance suite against PostgreSQL (.ci/run starts a server)');
    });
  });
} else {
  console.warn(
    'Multi-instance suite on PostgreSQL skipped: TEST_DATABASE_URL is not set (`source .ci/postgres.sh && start_test_postgres` sets it).',
  );
  describe.skip('several instances on PostgreSQL (skipped: TEST_DATABASE_URL is not set)', () => {
    it('runs the multi-instance suite', () => undefined);
  });
}

function describePostgres(url: string): void {
  describe('two instances on PostgreSQL, one on Express and one on Fastify', () => {
    const table = uniqueTable('multi');
    // A channel of this run's own: other suites on the server do not hear it, nor it them.
    const channel = `cors_origins_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    const run = randomBytes(3).toString('hex');
    const logger = new CapturingLogger();
    const admin = new pg.Client({ connectionString: url, application_name: 'multi-instance-test' });
    const started: Instance[] = [];
    let a: Instance;
    let b: Instance;

    async function start(
      name: string,
      platform: SampleAppOptions['platform'],
      listener: SampleAppOptions['listener'] = {},
    ): Promise<Instance> {
      const instance = await startInstance(
        { databaseUrl: url, originsTable: table, originsChannel: channel, instanceId: `${name}-${run}`, listener, platform },
        logger,
      );
      started.push(instance);
      return instance;
    }

    /** The server processes of an instance's LISTEN connection (normally one). */
    async function listenerPids(instance: Instance): Promise<number[]> {
      const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
        `cors-origins-listener-${instance.config.instanceId}`,
      ]);
      return rows.map((row) => row.pid);
    }

    async function notify(payload: string): Promise<void> {
      await admin.query('SELECT pg_notify($1, $2)', [channel, payload]);
    }

    beforeAll(async () => {
      await admin.connect();
      // One instance on each platform: the change feed and the cache do not depend on it.
      a = await start('a', 'express');
      // B's first reconnection waits 1 to 2 s, so that a change can be made while it is down.
      b = await start('b', 'fastify', { reconnectInitialMs: 2_000 });
    }, STARTUP_TIMEOUT_MS);

    afterAll(async () => {
      for (const instance of started) await instance.app.close();
      await admin.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
      await admin.end();
    });

    it('runs two instances on different ports, each with one LISTEN connection', async () => {
      expect(new URL(a.url).port).not.toBe(new URL(b.url).port);
      expect(await listenerPids(a)).toHaveLength(1);
      expect(await listenerPids(b)).toHaveLength(1);
      expect(b.feed).toBe(`PostgreSQL LISTEN ${channel} (cors-origins-listener-b-${run})`);
    });

    describeAddAndRemove("instance A's admin API", 'instance B', () => ({ writer: adminApi(() => a), reader: b }));

    it('B allows an origin added while its LISTEN connection was down, once it reconnects; logged once', async () => {
      const origin = uniqueOrigin('missed');
      expect(isAllowed(await partnerOrders(b, origin), origin)).toBe(false); // cached: refused
      const [pid] = await listenerPids(b);
      const linesBefore = logger.about(b.feed).length;

      const { rows } = await admin.query<{ terminated: boolean }>(
        'SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE application_name = $1',
        [`cors-origins-listener-${b.config.instanceId}`],
      );
      expect(rows).toEqual([{ terminated: true }]);
      await within(2_000, 'the listener is gone', async () => (await listenerPids(b)).length === 0);

      // Meanwhile, through A: B's notification is lost.
      await addOrigin(a, origin);
      expect(await listenerPids(b)).toEqual([]); // still down: only the reconnection can tell B
      expect(isAllowed(await partnerOrders(b, origin), origin)).toBe(false);

      await within(5_000, 'B allows the origin after reconnecting', async () => isAllowed(await partnerOrders(b, origin), origin));
      const [newPid] = await listenerPids(b);
      expect(newPid).toBeDefined();
      expect(newPid).not.toBe(pid);

      const lines = logger.about(b.feed).slice(linesBefore);
      expect(lines.map((line) => line.level)).toEqual(['warn', 'log']);
      expect(lines[0].message).toMatch(
        /is down \(.*terminating connection due to administrator command.*\): until it is back, .* when the cached answer expires/,
      );
      expect(lines[1].message).toMatch(/is back after \d+\.\d s; every cached CORS answer was dropped/);
      expect(logger.about(a.feed)).toEqual([]); // A never lost anything
    });

    it('treats payloads as untrusted: malformed or huge ones change nothing but one log line', async () => {
      const invalidate = jest.spyOn(b.cache, 'invalidate');
      const invalidateAll = jest.spyOn(b.cache, 'invalidateAll');
      const linesBefore = logger.about(b.feed).length;
      try {
        const seeded = 'https://partner.example.com';
        expect(isAllowed(await partnerOrders(b, seeded), seeded)).toBe(true); // cached: allowed
        for (const payload of [
          'garbage',
          '',
          `https://${'a'.repeat(7_970)}.example`, // near PostgreSQL's 8 000-byte limit
          'https://PARTNER.example.com',
          'https://partner.example.com/',
          '{"origin":"https://partner.example.com"}',
          'https://partner.example.com\n[Nest] forged line',
          "'); DROP TABLE trusted_origins; --",
        ]) {
          await notify(payload); // one transaction each: PostgreSQL folds identical notifications of one transaction
        }
        await admin.query(`NOTIFY ${channel}`); // no payload at all
        // Notifications arrive in order: once this one is handled, the ones above were too.
        const sentinel = uniqueOrigin('sentinel');
        await notify(sentinel);
        await within(PROPAGATION_MS, 'the sentinel notification is handled', async () => invalidate.mock.calls.length > 0);
        expect(invalidate.mock.calls).toEqual([[sentinel]]);
        expect(invalidateAll).not.toHaveBeenCalled();
        const lines = logger.about(b.feed).slice(linesBefore);
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatchObject({
          level: 'warn',
          message: expect.stringMatching(/: ignored a message that is not a serialized origin: "garbage"; nothing was invalidated$/),
        });
        expect(isAllowed(await partnerOrders(b, seeded), seeded)).toBe(true);
      } finally {
        invalidate.mockRestore();
        invalidateAll.mockRestore();
      }
    });

    it('a valid origin in a notification only invalidates: it grants nothing', async () => {
      const origin = uniqueOrigin('forged');
      await notify(origin);
      await sleep(200);
      expect(isAllowed(await partnerOrders(b, origin), origin)).toBe(false);
      expect(isAllowed(await partnerOrders(a, origin), origin)).toBe(false);
    });

    it('closing an instance while it is reconnecting stops the retries and closes every connection', async () => {
      const c = await start('c', 'express', { reconnectInitialMs: 1_000 });
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [
        `cors-origins-listener-${c.config.instanceId}`,
      ]);
      await within(2_000, "C's listener is gone", async () => (await listenerPids(c)).length === 0);
      await within(2_000, 'C logged the outage', async () => logger.about(c.feed).length === 1);
      await c.app.close();
      await sleep(1_500); // past the retry C had scheduled
      expect(await listenerPids(c)).toEqual([]);
      const { rows } = await admin.query('SELECT pid FROM pg_stat_activity WHERE application_name LIKE $1', [`%-c-${run}`]);
      expect(rows).toEqual([]); // the pool is closed too
      expect(logger.about(c.feed).map((line) => line.level)).toEqual(['warn']); // no "is back"
    });
  });

  describe('the LISTEN connection (PostgresListener)', () => {
    const channel = `cors_origins_hb_${process.pid}_${randomBytes(4).toString('hex')}`;

    it('replaces a connection that stopped answering without closing (heartbeat), then hears notifications again', async () => {
      const proxy = await startFreezableProxy(new URL(url));
      const events: string[] = [];
      const handlers: ChangeHandlers = {
        onPayload: (payload) => events.push(`payload ${payload}`),
        onSubscribed: () => events.push('subscribed'),
        onLost: (error) => events.push(`lost ${(error as Error).message}`),
      };
      const proxied = new URL(url);
      proxied.host = `127.0.0.1:${proxy.port}`;
      const listener = new PostgresListener(
        pg.Client,
        {
          connectionString: proxied.href,
          channel,
          applicationName: 'heartbeat-test',
          timing: { reconnectInitialMs: 100, reconnectMaxMs: 1_000, heartbeatMs: 300 },
        },
        handlers,
      );
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await listener.start();
        expect(events).toEqual(['subscribed']);
        await sleep(1_000); // healthy heartbeats change nothing
        expect(events).toEqual(['subscribed']);

        proxy.freeze(); // a silent network drop: no FIN, no RST, no answer
        await admin.query('SELECT pg_notify($1, $2)', [channel, 'https://lost.example']);
        await within(3_000, 'the listener resubscribed', async () => events.filter((event) => event === 'subscribed').length === 2);
        expect(events).toEqual(['subscribed', expect.stringMatching(/^lost no answer to a heartbeat within 300 ms$/), 'subscribed']);

        await admin.query('SELECT pg_notify($1, $2)', [channel, 'https://heard.example']);
        await within(PROPAGATION_MS, 'the notification is heard', async () => events.includes('payload https://heard.example'));
        expect(events).not.toContain('payload https://lost.example');
      } finally {
        await listener.stop();
        await admin.end();
        await proxy.close();
      }
    });

    it('retries with backoff while the server is unreachable, and stop() cancels the retries', async () => {
      const events: string[] = [];
      const listener = new PostgresListener(
        pg.Client,
        {
          connectionString: 'postgres://postgres@127.0.0.1:1/postgres',
          channel,
          applicationName: 'unreachable-test',
          timing: { reconnectInitialMs: 50, reconnectMaxMs: 200, heartbeatMs: 1_000 },
        },
        { onPayload: () => undefined, onSubscribed: () => events.push('subscribed'), onLost: () => events.push('lost') },
      );
      await listener.start(); // resolves although the first attempt failed
      await sleep(1_000);
      const attempts = events.length;
      expect(attempts).toBeGreaterThanOrEqual(4); // 25-50, 50-100, then 100-200 ms apart
      expect(attempts).toBeLessThanOrEqual(20); // but not in a tight loop
      expect(events.every((event) => event === 'lost')).toBe(true);
      await listener.stop();
      await sleep(400);
      expect(events).toHaveLength(attempts);
    });
  });
}

/** A TCP proxy whose open connections can be frozen: bytes stop flowing, nothing is closed. */
async function startFreezableProxy(target: URL): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((downstream) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    const pair: [Socket, Socket] = [downstream, upstream];
    pairs.add(pair);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    for (const socket of pair) {
      socket.on('error', () => undefined);
      socket.on('close', () => {
        pairs.delete(pair);
        downstream.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    freeze: () => {
      for (const [downstream, upstream] of pairs) {
        downstream.unpipe(upstream);
        upstream.unpipe(downstream);
        downstream.pause();
        upstream.pause();
      }
    },
    close: async () => {
      for (const [downstream, upstream] of pairs) {
        downstream.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
