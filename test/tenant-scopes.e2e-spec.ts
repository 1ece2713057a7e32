import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Agent, request as httpRequest } from 'node:http';
import { Controller, Get, Header, Injectable, Logger, Module, Param, Post, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  CorsCacheInvalidator,
  CorsModule,
  CorsOriginCache,
  CorsPolicy,
  CorsPolicyMap,
  corsCsrfExclusion,
  type CorsDecision,
  type CorsModuleOptions,
  type CorsOriginResolver,
  type CorsOriginSource,
  type CorsRequest,
} from '../lib/index.js';
import { assertCorsAllowed, assertCorsRefused, createCorsBrowser } from '../lib/testing/index.js';
import { createPlatformFactoryApp, describeOnPlatforms } from './support/apps.js';

/**
 * Issue 27, tenant-scoped origins: a resolver or source with `scope(request)` is asked, cached
 * and invalidated per (class, scope, origin); one tenant's answer never serves another.
 */

const ACME = 'https://app.acme.example';
const GLOBEX = 'https://app.globex.example';
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The trusted origins of each tenant, as a database would hold them (shared by the test classes). */
const TRUST = new Map<string, Set<string>>();
function resetTrust(): void {
  TRUST.clear();
  TRUST.set('acme', new Set([ACME]));
  TRUST.set('globex', new Set([GLOBEX]));
}

/** Counts calls per (scope, origin), and the most in flight at once. */
class Calls {
  readonly byKey = new Map<string, number>();
  inFlight = 0;
  maxInFlight = 0;
  delayMs = 0;
  count(scope: string | undefined, origin: string): number {
    return this.byKey.get(`${scope} ${origin}`) ?? 0;
  }
  async ask(origin: string, scope: string | undefined): Promise<boolean> {
    const key = `${scope} ${origin}`;
    this.byKey.set(key, (this.byKey.get(key) ?? 0) + 1);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      if (this.delayMs > 0) await wait(this.delayMs);
      return TRUST.get(scope ?? '')?.has(origin) === true;
    } finally {
      this.inFlight--;
    }
  }
}

/** `acme.tenants.test` -> `acme`: a subdomain per tenant. */
@Injectable()
class HostOrigins implements CorsOriginResolver {
  readonly calls = new Calls();
  scope(request: CorsRequest): string | undefined {
    return /^([a-z0-9-]+)\.tenants\.test(?::\d+)?$/.exec(request.headers.host ?? '')?.[1];
  }
  isOriginAllowed(origin: string, _request: CorsRequest, scope?: string): Promise<boolean> {
    return this.calls.ask(origin, scope);
  }
}

/** `/tenants/acme/orders` -> `acme`. */
@Injectable()
class PathOrigins implements CorsOriginResolver {
  readonly calls = new Calls();
  scope(request: CorsRequest): string | undefined {
    return /^\/tenants\/([^/?]+)/.exec(request.url ?? '')?.[1];
  }
  isOriginAllowed(origin: string, _request: CorsRequest, scope?: string): Promise<boolean> {
    return this.calls.ask(origin, scope);
  }
}

/** `X-Tenant: acme` (set by a gateway in front): the header goes into `Vary`. */
@Injectable()
class HeaderOrigins implements CorsOriginResolver {
  readonly varyOn = ['X-Tenant'];
  readonly calls = new Calls();
  scope(request: CorsRequest): string | undefined {
    const tenant = request.headers['x-tenant'];
    return typeof tenant === 'string' ? tenant : undefined;
  }
  isOriginAllowed(origin: string, _request: CorsRequest, scope?: string): Promise<boolean> {
    return this.calls.ask(origin, scope);
  }
}

@Injectable()
class ThrowingScope implements CorsOriginResolver {
  readonly calls = new Calls();
  scope(): string | undefined {
    throw new Error('tenant lookup failed');
  }
  isOriginAllowed(origin: string): Promise<boolean> {
    return this.calls.ask(origin, 'never');
  }
}

/** Each tenant's set, loaded whole: counts loads per tenant. */
@Injectable()
class TenantSource implements CorsOriginSource {
  readonly varyOn = ['X-Tenant'];
  readonly loads = new Map<string, number>();
  scope(request: CorsRequest): string | undefined {
    const tenant = request.headers['x-tenant'];
    return typeof tenant === 'string' ? tenant : undefined;
  }
  loadOrigins(scope?: string): string[] {
    this.loads.set(scope ?? '', (this.loads.get(scope ?? '') ?? 0) + 1);
    return [...(TRUST.get(scope ?? '') ?? [])];
  }
}

@Controller()
class TenantsController {
  @Get('host')
  @CorsPolicy({ origin: [HostOrigins], credentials: true })
  host() {
    return { ok: true };
  }

  @Get('tenants/:tenant/orders')
  @CorsPolicy({ origin: [PathOrigins], credentials: true })
  orders(@Param('tenant') tenant: string) {
    return { tenant };
  }

  @Get('header')
  @CorsPolicy({ origin: [HeaderOrigins], credentials: true })
  header() {
    return { ok: true };
  }

  @Get('header-own-vary')
  @CorsPolicy({ origin: [HeaderOrigins], credentials: true })
  @Header('Vary', 'Accept-Encoding')
  headerOwnVary() {
    return { ok: true };
  }

  @Get('throws')
  @CorsPolicy({ origin: [ThrowingScope] })
  throws() {
    return { ok: true };
  }

  @Get('source')
  @CorsPolicy({ origin: [TenantSource], credentials: true })
  source() {
    return { ok: true };
  }
}

interface Running {
  readonly app: INestApplication;
  readonly url: string;
  readonly cache: CorsOriginCache;
  readonly decisions: CorsDecision[];
  readonly host: HostOrigins;
  readonly path: PathOrigins;
  readonly header: HeaderOrigins;
  readonly throwing: ThrowingScope;
  readonly source: TenantSource;
}

async function start(options: CorsModuleOptions = {}): Promise<Running> {
  const decisions: CorsDecision[] = [];
  @Module({
    imports: [CorsModule.forRoot({ origin: false, onDecision: (decision) => void decisions.push(decision), ...options })],
    controllers: [TenantsController],
    providers: [HostOrigins, PathOrigins, HeaderOrigins, ThrowingScope, TenantSource],
  })
  class AppModule {}
  const app = await createPlatformFactoryApp(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  return {
    app,
    url: (await app.getUrl()).replace('[::1]', '127.0.0.1'),
    cache: app.get(CorsOriginCache),
    decisions,
    host: app.get(HostOrigins),
    path: app.get(PathOrigins),
    header: app.get(HeaderOrigins),
    throwing: app.get(ThrowingScope),
    source: app.get(TenantSource),
  };
}

let running: Running;
let errors: jest.SpiedFunction<Logger['error']>;
beforeEach(() => {
  resetTrust();
  errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
});
afterEach(async () => {
  errors.mockRestore();
  await running?.app.close();
});

const get = (path: string, origin: string, headers: Record<string, string> = {}) => {
  let call = request(running.app.getHttpServer()).get(path).set('Origin', origin);
  for (const [name, value] of Object.entries(headers)) call = call.set(name, value);
  return call;
};
const allowOrigin = async (path: string, origin: string, headers: Record<string, string> = {}) =>
  (await get(path, origin, headers).expect(200)).headers['access-control-allow-origin'] as string | undefined;

describeOnPlatforms('Tenant-scoped resolvers', () => {
  beforeEach(async () => {
    running = await start();
  });

  it('Host-scoped: acme\u2019s origin, once allowed and cached on acme\u2019s host, is refused on globex\u2019s', async () => {
    const acme = { Host: 'acme.tenants.test' };
    const globex = { Host: 'globex.tenants.test' };
    expect(await allowOrigin('/host', ACME, acme)).toBe(ACME);
    expect(await allowOrigin('/host', ACME, acme)).toBe(ACME);
    expect(await allowOrigin('/host', ACME, globex)).toBeUndefined();
    expect(await allowOrigin('/host', ACME, globex)).toBeUndefined();
    expect(await allowOrigin('/host', GLOBEX, globex)).toBe(GLOBEX);
    // One call per (scope, origin), each answer cached in its own scope.
    expect(running.host.calls.count('acme', ACME)).toBe(1);
    expect(running.host.calls.count('globex', ACME)).toBe(1);
    expect(running.host.calls.count('globex', GLOBEX)).toBe(1);
    expect(running.decisions.at(-1)).toMatchObject({ allowed: true, origin: GLOBEX, scope: 'globex' });
    expect(running.decisions.find((decision) => !decision.allowed)).toMatchObject({ reason: 'origin not trusted', scope: 'globex' });
  });

  it('Host-scoped preflights are judged per tenant too', async () => {
    const preflight = (host: string) =>
      request(running.app.getHttpServer())
        .options('/host')
        .set('Host', host)
        .set('Origin', ACME)
        .set('Access-Control-Request-Method', 'GET');
    expect((await preflight('acme.tenants.test')).headers['access-control-allow-origin']).toBe(ACME);
    expect((await preflight('globex.tenants.test')).headers['access-control-allow-origin']).toBeUndefined();
  });

  it('path-scoped: /tenants/acme trusts acme\u2019s origin, /tenants/globex does not, each asked once', async () => {
    for (let round = 0; round < 3; round++) {
      expect(await allowOrigin('/tenants/acme/orders', ACME)).toBe(ACME);
      expect(await allowOrigin('/tenants/globex/orders', ACME)).toBeUndefined();
    }
    expect(running.path.calls.count('acme', ACME)).toBe(1);
    expect(running.path.calls.count('globex', ACME)).toBe(1);
  });

  it('header-scoped (varyOn): the header is in Vary on allowed, refused and preflight answers', async () => {
    const allowed = await get('/header', ACME, { 'X-Tenant': 'acme' }).expect(200);
    expect(allowed.headers['access-control-allow-origin']).toBe(ACME);
    expect(allowed.headers.vary).toBe('Origin, X-Tenant');
    const refused = await get('/header', ACME, { 'X-Tenant': 'globex' }).expect(200);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(refused.headers.vary).toBe('Origin, X-Tenant');
    const noOrigin = await request(running.app.getHttpServer()).get('/header').expect(200);
    expect(noOrigin.headers.vary).toBe('Origin, X-Tenant');
    const preflight = await request(running.app.getHttpServer())
      .options('/header')
      .set('Origin', ACME)
      .set('X-Tenant', 'acme')
      .set('Access-Control-Request-Method', 'GET');
    expect(preflight.headers['access-control-allow-origin']).toBe(ACME);
    expect(preflight.headers.vary).toContain('Origin, X-Tenant');
    // A handler's own Vary keeps the varyOn header, as it keeps Origin.
    const own = await get('/header-own-vary', ACME, { 'X-Tenant': 'acme' }).expect(200);
    expect(
      String(own.headers.vary)
        .split(/\s*,\s*/)
        .sort(),
    ).toEqual(['Accept-Encoding', 'Origin', 'X-Tenant']);
    // Host-scoped and path-scoped classes add nothing: the URL already keys every cache.
    expect((await get('/host', ACME, { Host: 'acme.tenants.test' })).headers.vary).toBe('Origin');
  });

  it('scope() returning undefined refuses without asking, with reason "no scope"', async () => {
    expect(await allowOrigin('/header', ACME)).toBeUndefined();
    expect(await allowOrigin('/host', ACME, { Host: 'elsewhere.test' })).toBeUndefined();
    expect(running.header.calls.byKey.size).toBe(0);
    expect(running.host.calls.byKey.size).toBe(0);
    expect(running.decisions.map((decision) => decision.reason)).toEqual(['no scope', 'no scope']);
    expect(running.decisions[0].scope).toBeUndefined();
  });

  it('scope() throwing refuses without asking, with reason "no scope", logged once per burst', async () => {
    for (let i = 0; i < 5; i++) expect(await allowOrigin('/throws', ACME)).toBeUndefined();
    expect(running.throwing.calls.byKey.size).toBe(0);
    expect(running.decisions.every((decision) => decision.reason === 'no scope')).toBe(true);
    const lines = errors.mock.calls.map((call) => String(call[0])).filter((line) => line.includes('ThrowingScope.scope() threw'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('tenant lookup failed');
  });

  it('a scope longer than 256 characters is no scope', async () => {
    expect(await allowOrigin('/header', ACME, { 'X-Tenant': 'a'.repeat(257) })).toBeUndefined();
    expect(running.decisions[0].reason).toBe('no scope');
    expect(running.header.calls.byKey.size).toBe(0);
  });

  it('debug explains a refusal for want of a scope, and names the tenant of the others', async () => {
    await running.app.close();
    running = await start({ debug: true });
    const warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      await allowOrigin('/header', ACME);
      await allowOrigin('/header', ACME, { 'X-Tenant': 'globex' });
      const lines = warnings.mock.calls.map((call) => String(call[0])).filter((line) => line.startsWith('Refused'));
      expect(lines[0]).toMatch(/no scope.*scope\(\) of HeaderOrigins found no tenant in this request/);
      expect(lines[1]).toMatch(/origin not trusted \(scope "globex"\)/);
    } finally {
      warnings.mockRestore();
    }
  });

  it('the policy map names the class and that it is scoped', () => {
    const entries = running.app.get(CorsPolicyMap).list();
    const host = entries.find((entry) => entry.path === '/host');
    expect(host?.fields?.origin.value).toEqual(['resolver HostOrigins (scoped)']);
    expect(entries.find((entry) => entry.path === '/source')?.fields?.origin.value).toEqual(['source TenantSource (scoped)']);
  });
});

describeOnPlatforms('Tenant-scoped invalidation', () => {
  beforeEach(async () => {
    running = await start();
  });

  /** Caches acme's and globex's answers for ACME, then trusts ACME for globex in the "database". */
  async function cacheThenChange(): Promise<void> {
    expect(await allowOrigin('/tenants/acme/orders', ACME)).toBe(ACME);
    expect(await allowOrigin('/tenants/globex/orders', ACME)).toBeUndefined();
    TRUST.get('globex')?.add(ACME);
    TRUST.get('acme')?.delete(ACME);
    expect(await allowOrigin('/tenants/globex/orders', ACME)).toBeUndefined(); // still cached
  }

  it('invalidate(origin, { scope }) forgets that tenant\u2019s answer only', async () => {
    await cacheThenChange();
    running.cache.invalidate(ACME, { scope: 'globex' });
    expect(await allowOrigin('/tenants/globex/orders', ACME)).toBe(ACME);
    expect(await allowOrigin('/tenants/acme/orders', ACME)).toBe(ACME); // acme's answer kept
    expect(running.path.calls.count('globex', ACME)).toBe(2);
    expect(running.path.calls.count('acme', ACME)).toBe(1);
  });

  it('invalidate(origin) without scope forgets the origin in every scope', async () => {
    await cacheThenChange();
    running.cache.invalidate(ACME);
    expect(await allowOrigin('/tenants/globex/orders', ACME)).toBe(ACME);
    expect(await allowOrigin('/tenants/acme/orders', ACME)).toBeUndefined();
    expect(running.path.calls.count('acme', ACME)).toBe(2);
  });

  it('invalidateScope(scope) forgets every origin of one tenant', async () => {
    expect(await allowOrigin('/tenants/globex/orders', GLOBEX)).toBe(GLOBEX);
    await cacheThenChange();
    running.cache.invalidateScope('globex');
    expect(await allowOrigin('/tenants/globex/orders', ACME)).toBe(ACME);
    expect(await allowOrigin('/tenants/globex/orders', GLOBEX)).toBe(GLOBEX);
    expect(await allowOrigin('/tenants/acme/orders', ACME)).toBe(ACME); // acme untouched
    expect(running.path.calls.count('globex', GLOBEX)).toBe(2);
    expect(running.path.calls.count('acme', ACME)).toBe(1);
  });

  it('bus payloads: bare origin, {scope, origin} and {scope} act; oversized and wrong types are ignored', async () => {
    const logger = { log: jest.fn(), warn: jest.fn() };
    const bus = new CorsCacheInvalidator(running.cache, { logger });
    await cacheThenChange();
    expect(bus.onMessage(JSON.stringify({ scope: 'globex', origin: 'x'.repeat(3000) }))).toBeUndefined();
    expect(bus.onMessage(JSON.stringify({ scope: 42, origin: ACME }))).toBeUndefined();
    expect(bus.onMessage(JSON.stringify({ scope: 'g'.repeat(257) }))).toBeUndefined();
    expect(bus.onMessage(JSON.stringify({ scope: 'globex', origin: 'https://APP.acme.example' }))).toBeUndefined();
    expect(bus.onMessage(JSON.stringify(['globex']))).toBeUndefined();
    expect(bus.onMessage('{"scope": "globex"')).toBeUndefined();
    expect(await allowOrigin('/tenants/globex/orders', ACME)).toBeUndefined(); // nothing was invalidated
    expect(logger.warn).toHaveBeenCalledTimes(1); // once per burst
    expect(bus.onMessage(JSON.stringify({ scope: 'globex', origin: ACME }))).toBe(ACME);
    expect(await allowOrigin('/tenants/globex/orders', ACME)).toBe(ACME);
    expect(await allowOrigin('/tenants/acme/orders', ACME)).toBe(ACME); // still cached in acme
    expect(bus.onMessage(JSON.stringify({ scope: 'acme' }))).toBe('acme');
    expect(await allowOrigin('/tenants/acme/orders', ACME)).toBeUndefined();
    TRUST.get('acme')?.add(ACME);
    expect(bus.onMessage(ACME)).toBe(ACME);
    expect(await allowOrigin('/tenants/acme/orders', ACME)).toBe(ACME);
  });
});

describeOnPlatforms('Tenant-scoped sources', () => {
  beforeEach(async () => {
    running = await start();
  });

  it('loads a tenant\u2019s set when first needed, once; an unknown origin for a loaded tenant costs no load', async () => {
    expect(running.source.loads.size).toBe(0); // not at init
    const acme = { 'X-Tenant': 'acme' };
    expect(await allowOrigin('/source', ACME, acme)).toBe(ACME);
    expect(await allowOrigin('/source', ACME, acme)).toBe(ACME);
    expect(await allowOrigin('/source', GLOBEX, acme)).toBeUndefined();
    expect(await allowOrigin('/source', 'https://unknown.example', acme)).toBeUndefined();
    expect(await allowOrigin('/source', ACME, { 'X-Tenant': 'globex' })).toBeUndefined();
    expect(await allowOrigin('/source', GLOBEX, { 'X-Tenant': 'globex' })).toBe(GLOBEX);
    expect(Object.fromEntries(running.source.loads)).toEqual({ acme: 1, globex: 1 });
    expect(running.cache.scopesLoaded(TenantSource)).toBe(2);
    expect((await get('/source', ACME, acme)).headers.vary).toBe('Origin, X-Tenant');
  });

  it('concurrent first requests of one tenant share one load', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => allowOrigin('/source', ACME, { 'X-Tenant': 'acme' })));
    expect(answers.every((answer) => answer === ACME)).toBe(true);
    expect(running.source.loads.get('acme')).toBe(1);
  });

  it('reloads after invalidate(origin, { scope }) and invalidateScope(), only that tenant', async () => {
    const globex = { 'X-Tenant': 'globex' };
    expect(await allowOrigin('/source', ACME, globex)).toBeUndefined();
    expect(await allowOrigin('/source', ACME, { 'X-Tenant': 'acme' })).toBe(ACME);
    TRUST.get('globex')?.add(ACME);
    running.cache.invalidate(ACME, { scope: 'globex' });
    expect(await allowOrigin('/source', ACME, globex)).toBe(ACME);
    TRUST.get('globex')?.delete(ACME);
    running.cache.invalidateScope('globex');
    expect(await allowOrigin('/source', ACME, globex)).toBeUndefined();
    expect(running.source.loads.get('globex')).toBe(3);
    expect(running.source.loads.get('acme')).toBe(1);
  });

  it('invalidate(origin) without scope: a tenant that held it drops it at once, the others reload on their next request', async () => {
    expect(await allowOrigin('/source', ACME, { 'X-Tenant': 'acme' })).toBe(ACME);
    expect(await allowOrigin('/source', ACME, { 'X-Tenant': 'globex' })).toBeUndefined();
    TRUST.get('acme')?.delete(ACME);
    TRUST.get('globex')?.add(ACME);
    running.cache.invalidate(ACME);
    expect(await allowOrigin('/source', ACME, { 'X-Tenant': 'acme' })).toBeUndefined();
    expect(await allowOrigin('/source', ACME, { 'X-Tenant': 'globex' })).toBe(ACME);
  });

  it('a scope-less request is refused without a load', async () => {
    expect(await allowOrigin('/source', ACME)).toBeUndefined();
    expect(running.source.loads.size).toBe(0);
    expect(running.decisions[0].reason).toBe('no scope');
  });
});

/** One GET with `Origin` and `Host`, on a keep-alive agent; resolves with its `Access-Control-Allow-Origin`. */
function getOnHost(agent: Agent, url: string, host: string, origin: string): Promise<{ status: number; allowOrigin?: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent, headers: { Host: host, Origin: origin } }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, allowOrigin: res.headers['access-control-allow-origin'] as string | undefined }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describeOnPlatforms('A flood of tenants', () => {
  it('2,000 made-up Hosts, 64 at a time: resolverMaxInFlight held, the cache bounded, a cached trusted tenant never refused', async () => {
    running = await start({ resolverMaxInFlight: 8, resolverCache: { ttlMs: 60_000, maxEntries: 500 } });
    running.host.calls.delayMs = 20;
    const agent = new Agent({ keepAlive: true, maxSockets: 65 });
    try {
      expect((await getOnHost(agent, `${running.url}/host`, 'acme.tenants.test', ACME)).allowOrigin).toBe(ACME);
      let next = 0;
      const flooded: { status: number; allowOrigin?: string }[] = [];
      const worker = async (): Promise<void> => {
        while (next < 2_000) flooded.push(await getOnHost(agent, `${running.url}/host`, `t${next++}.tenants.test`, ACME));
      };
      const trusted: (string | undefined)[] = [];
      let flooding = true;
      const honest = (async () => {
        while (flooding) {
          trusted.push((await getOnHost(agent, `${running.url}/host`, 'acme.tenants.test', ACME)).allowOrigin);
          await wait(5);
        }
      })();
      await Promise.all(Array.from({ length: 64 }, worker));
      flooding = false;
      await honest;
      expect(flooded).toHaveLength(2_000);
      expect(flooded.filter((response) => response.status !== 200 || response.allowOrigin !== undefined)).toEqual([]);
      expect(running.host.calls.maxInFlight).toBeLessThanOrEqual(8);
      expect(trusted.length).toBeGreaterThan(0);
      expect(trusted.every((answer) => answer === ACME)).toBe(true);
      expect(running.host.calls.count('acme', ACME)).toBe(1);
      expect(running.cache.size(HostOrigins)).toBeLessThanOrEqual(501);
    } finally {
      agent.destroy();
    }
  }, 60_000);

  it('2,000 made-up tenants of a scoped source: first loads bounded, a loaded trusted tenant kept', async () => {
    running = await start({ resolverMaxInFlight: 8, resolverCache: { ttlMs: 60_000, maxEntries: 100 } });
    expect(await allowOrigin('/source', ACME, { 'X-Tenant': 'acme' })).toBe(ACME);
    const answers = await Promise.all(
      Array.from({ length: 2_000 }, (_, index) => allowOrigin('/source', ACME, { 'X-Tenant': `made-up-${index}` })),
    );
    expect(answers.every((answer) => answer === undefined)).toBe(true);
    expect(running.cache.scopesLoaded(TenantSource)).toBeLessThanOrEqual(101);
    expect(await allowOrigin('/source', ACME, { 'X-Tenant': 'acme' })).toBe(ACME);
    expect(running.source.loads.get('acme')).toBe(1);
  }, 60_000);
});

describe('Tenant-scoped startup validation', () => {
  it('a varyOn that is not a list of header names stops the app, naming the class', async () => {
    @Injectable()
    class BadVary implements CorsOriginResolver {
      readonly varyOn = ['X Tenant'];
      scope(): string {
        return 'a';
      }
      isOriginAllowed(): boolean {
        return true;
      }
    }
    @Controller('bad')
    @CorsPolicy({ origin: [BadVary] })
    class BadController {
      @Get() get() {
        return {};
      }
    }
    @Module({ imports: [CorsModule.forRoot({})], controllers: [BadController], providers: [BadVary] })
    class BadModule {}
    const app = await createPlatformFactoryApp(BadModule, { logger: false }, 'express');
    await expect(app.init()).rejects.toThrow(/BadVary\.varyOn must be an array of request header names/);
    await app.close();
  });
});

@Controller()
class EverywhereController {
  @Get('defaults')
  defaults() {
    return { ok: true };
  }

  @Get('named')
  @CorsPolicy('tenants')
  named() {
    return { ok: true };
  }

  @Post('change')
  change() {
    return { ok: true };
  }
}

describeOnPlatforms('Scoped classes everywhere an origin rule goes', () => {
  const acme = { Host: 'acme.tenants.test' };
  const globex = { Host: 'globex.tenants.test' };
  async function startEverywhere(extra: CorsModuleOptions = {}, csrf = false): Promise<INestApplication> {
    @Module({
      imports: [
        CorsModule.forRoot({
          origin: [HostOrigins],
          credentials: true,
          policies: { tenants: { origin: [HeaderOrigins], credentials: true } },
          paths: { '/graphql': 'tenants' },
          ...extra,
        }),
      ],
      controllers: [EverywhereController],
      providers: [HostOrigins, HeaderOrigins],
    })
    class EverywhereModule {}
    const app = await createPlatformFactoryApp(EverywhereModule, { logger: false });
    if (csrf) app.enableCsrfProtection({ exclude: corsCsrfExclusion(app) });
    await app.listen(0, '127.0.0.1');
    return app;
  }
  let app: INestApplication;
  afterEach(() => app?.close());
  const on = (call: request.Test, headers: Record<string, string>) => {
    for (const [name, value] of Object.entries(headers)) call = call.set(name, value);
    return call;
  };

  it('module defaults, a named policy and a paths pattern judge per tenant', async () => {
    app = await startEverywhere();
    const server = app.getHttpServer();
    const allow = async (path: string, headers: Record<string, string>) =>
      (await on(request(server).get(path).set('Origin', ACME), headers)).headers['access-control-allow-origin'] as string | undefined;
    expect(await allow('/defaults', acme)).toBe(ACME);
    expect(await allow('/defaults', globex)).toBeUndefined();
    expect(await allow('/named', { 'X-Tenant': 'acme' })).toBe(ACME);
    expect(await allow('/named', { 'X-Tenant': 'globex' })).toBeUndefined();
    expect(await allow('/graphql', { 'X-Tenant': 'acme' })).toBe(ACME);
    expect(await allow('/graphql', { 'X-Tenant': 'globex' })).toBeUndefined();
    // The paths pattern's policy carries the class's varyOn, on the 404 too.
    expect((await on(request(server).get('/graphql').set('Origin', ACME), { 'X-Tenant': 'acme' })).headers.vary).toBe('Origin, X-Tenant');
  });

  it('strict mode refuses another tenant\u2019s origin with 403, after its answer is cached for its own tenant', async () => {
    app = await startEverywhere({ strict: { appOrigins: [] } });
    const server = app.getHttpServer();
    await on(request(server).post('/change').set('Origin', ACME), acme).expect(201);
    await on(request(server).post('/change').set('Origin', ACME), globex).expect(403);
  });

  it('corsCsrfExclusion() lets a tenant\u2019s origin through on its tenant only', async () => {
    app = await startEverywhere({}, true);
    const server = app.getHttpServer();
    await on(request(server).post('/change').set('Origin', ACME), acme).expect(201);
    await on(request(server).post('/change').set('Origin', ACME), globex).expect(403);
  });

  it('the testing kit sends the Host a browser would use for a tenant', async () => {
    app = await startEverywhere();
    const onAcme = createCorsBrowser(app, { origin: ACME, host: 'acme.tenants.test' });
    assertCorsAllowed(await onAcme.fetch('/defaults', { credentials: 'include' }));
    assertCorsRefused(await onAcme.fetch('/defaults', { credentials: 'include', host: 'globex.tenants.test' }));
  });
});
