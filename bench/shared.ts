/**
 * What the parent (bench/run.ts) and the children (bench/server.ts, bench/micro.ts) agree on:
 * the variants, the origins, the scenarios and the IPC messages.
 */

/** The three trusted origins of the small list. */
export const THREE_ORIGINS: readonly string[] = ['https://admin.example.com', 'https://app.example.com', 'https://partner.example.org'];

/**
 * The origin the "allowed" scenarios send. In the 10,000-origin list it sits near the END
 * (index 9,998), so a list that is scanned linearly (the `cors` package) pays the full scan.
 */
export const ALLOWED_ORIGIN = 'https://app.example.com';
export const REFUSED_ORIGIN = 'https://evil.example.net';

/** 9,997 generated origins followed by the three real ones. */
export function manyOrigins(count = 10_000): string[] {
  const generated: string[] = [];
  for (let i = 0; generated.length < count - THREE_ORIGINS.length; i++) {
    generated.push(`https://tenant-${String(i).padStart(5, '0')}.customers.example.com`);
  }
  return [...generated, ...THREE_ORIGINS];
}

/** How long the resolver's and the origin callback's lookups take (a database round trip). */
export const LOOKUP_DELAY_MS = 1;

export type VariantName =
  | 'none'
  | 'floor'
  | 'enableCors-3'
  | 'enableCors-10k'
  | 'lib-3'
  | 'lib-10k'
  | 'lib-resolver'
  | 'lib-resolver-scoped'
  | 'enableCors-async'
  | 'lib-paths-50'
  | 'lib-source'
  | 'lib-3-decisions'
  | 'lib-3-per-route'
  | 'lib-3-loopback'
  | 'fastify-none'
  | 'fastify-floor'
  | 'fastify-enableCors-3'
  | 'fastify-lib-3'
  | 'fastify-lib-3-per-route';

/** The HTTP adapter a variant runs on: `@nestjs/platform-express` (the default) or `@nestjs/platform-fastify`. */
export type Platform = 'express' | 'fastify';

export interface VariantSpec {
  readonly name: VariantName;
  /** Shown in the tables. */
  readonly label: string;
  readonly cors: 'none' | 'floor' | 'enableCors' | 'lib';
  /**
   * `3` / `10000` static origins, `resolver` (CorsOriginResolver class), `callback` (async origin
   * callback), `source` (CorsOriginSource class loading the 3 origins), `resolver-scoped` (the
   * resolver with a `scope()` reading the `Host` header: answers cached per (host, origin)).
   */
  readonly origins: 3 | 10_000 | 'resolver' | 'resolver-scoped' | 'callback' | 'source';
  /** `paths` patterns in the module options (none when absent); the scenarios' routes are controller routes, so none applies. */
  readonly pathPatterns?: number;
  /** With an `onDecision` hook that counts decisions by route and reason (what a metrics recipe does). */
  readonly decisions?: boolean;
  /**
   * One generated controller has a `@CorsPolicy` of its own (not one the scenarios reach): the
   * table then holds two policies and every request needs its route looked up, where an app
   * with one policy everywhere needs none.
   */
  readonly perRoute?: boolean;
  /** The 3 origins plus the loopback port rule `'http://localhost:*'` (issue 28): it must cost what the exact list costs. */
  readonly loopback?: boolean;
  /** `express` when absent. */
  readonly platform?: Platform;
}

/** The methods every CORS variant allows (the `cors` package's default, set explicitly: `@fastify/cors` defaults to GET,HEAD,POST). */
export const ALLOWED_METHODS = 'GET,HEAD,PUT,PATCH,POST,DELETE';

/** In the order they alternate within a round (A B C ... A B C ...). */
export const VARIANTS: readonly VariantSpec[] = [
  { name: 'none', label: 'no CORS', cors: 'none', origins: 3 },
  { name: 'floor', label: 'the same headers, hand-written (floor)', cors: 'floor', origins: 3 },
  { name: 'enableCors-3', label: 'enableCors, 3 origins', cors: 'enableCors', origins: 3 },
  { name: 'enableCors-10k', label: 'enableCors, 10,000 origins', cors: 'enableCors', origins: 10_000 },
  { name: 'lib-3', label: 'CorsModule, 3 origins', cors: 'lib', origins: 3 },
  { name: 'lib-10k', label: 'CorsModule, 10,000 origins', cors: 'lib', origins: 10_000 },
  { name: 'lib-resolver', label: 'CorsModule, resolver 1 ms (cached)', cors: 'lib', origins: 'resolver' },
  {
    name: 'lib-resolver-scoped',
    label: 'CorsModule, Host-scoped resolver 1 ms (cached)',
    cors: 'lib',
    origins: 'resolver-scoped',
  },
  { name: 'enableCors-async', label: 'enableCors, async origin callback 1 ms', cors: 'enableCors', origins: 'callback' },
  { name: 'lib-paths-50', label: 'CorsModule, 3 origins, 50 path patterns', cors: 'lib', origins: 3, pathPatterns: 50 },
  { name: 'lib-source', label: 'CorsModule, CorsOriginSource of 3 origins', cors: 'lib', origins: 'source' },
  { name: 'lib-3-decisions', label: 'CorsModule, 3 origins, onDecision counting', cors: 'lib', origins: 3, decisions: true },
  { name: 'lib-3-per-route', label: 'CorsModule, 3 origins, a second policy on other routes', cors: 'lib', origins: 3, perRoute: true },
  { name: 'lib-3-loopback', label: "CorsModule, 3 origins and 'http://localhost:*'", cors: 'lib', origins: 3, loopback: true },
  { name: 'fastify-none', label: 'Fastify: no CORS', cors: 'none', origins: 3, platform: 'fastify' },
  { name: 'fastify-floor', label: 'Fastify: the same headers, hand-written (floor)', cors: 'floor', origins: 3, platform: 'fastify' },
  {
    name: 'fastify-enableCors-3',
    label: 'Fastify: enableCors (@fastify/cors), 3 origins',
    cors: 'enableCors',
    origins: 3,
    platform: 'fastify',
  },
  { name: 'fastify-lib-3', label: 'Fastify: CorsModule, 3 origins', cors: 'lib', origins: 3, platform: 'fastify' },
  {
    name: 'fastify-lib-3-per-route',
    label: 'Fastify: CorsModule, 3 origins, a second policy on other routes',
    cors: 'lib',
    origins: 3,
    perRoute: true,
    platform: 'fastify',
  },
];

export const platformOf = (variant: VariantSpec): Platform => variant.platform ?? 'express';

/** The variants a variant's ratios are taken against: no CORS and enableCors(3) on its own platform. */
export function baseVariants(variant: VariantSpec): {
  readonly none: VariantName;
  readonly enableCors: VariantName;
  readonly floor: VariantName;
} {
  return platformOf(variant) === 'fastify'
    ? { none: 'fastify-none', enableCors: 'fastify-enableCors-3', floor: 'fastify-floor' }
    : { none: 'none', enableCors: 'enableCors-3', floor: 'floor' };
}

export function variantByName(name: string): VariantSpec {
  const found = VARIANTS.find((variant) => variant.name === name);
  if (found === undefined) throw new Error(`unknown variant "${name}" (known: ${VARIANTS.map((v) => v.name).join(', ')})`);
  return found;
}

export type ScenarioName = 'allowed' | 'preflight' | 'refused' | 'no-origin';

export interface Scenario {
  readonly name: ScenarioName;
  readonly title: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'allowed',
    title: 'Allowed origin, simple GET /hello',
    method: 'GET',
    path: '/hello',
    headers: { origin: ALLOWED_ORIGIN },
  },
  {
    name: 'preflight',
    title: 'Preflight OPTIONS /items/42 (PATCH, content-type + x-request-id)',
    method: 'OPTIONS',
    path: '/items/42',
    headers: {
      origin: ALLOWED_ORIGIN,
      'access-control-request-method': 'PATCH',
      'access-control-request-headers': 'content-type,x-request-id',
    },
  },
  {
    name: 'refused',
    title: 'Refused origin, GET /hello',
    method: 'GET',
    path: '/hello',
    headers: { origin: REFUSED_ORIGIN },
  },
  {
    name: 'no-origin',
    title: 'No Origin header, GET /hello (same-origin / server-to-server)',
    method: 'GET',
    path: '/hello',
    headers: {},
  },
];

/** Child → parent. */
export type ChildMessage =
  | { readonly type: 'ready'; readonly port: number; readonly startupMs: number }
  | { readonly type: 'counters'; readonly resolverCalls: Record<string, number>; readonly callbackCalls: number }
  | { readonly type: 'cpu'; readonly cpuMicros: number }
  | { readonly type: 'profile-started' }
  | { readonly type: 'profile-saved'; readonly file: string }
  | { readonly type: 'startup'; readonly result: StartupResult }
  | { readonly type: 'micro'; readonly rows: MicroRow[] }
  | { readonly type: 'error'; readonly message: string };

/** Parent → child. */
export type ParentMessage =
  | { readonly type: 'counters' }
  | { readonly type: 'cpu' }
  /** Starts the V8 CPU profiler in the child (node:inspector), so that the profile covers only the measurement. */
  | { readonly type: 'profile-start'; readonly intervalMicros: number }
  | { readonly type: 'profile-stop'; readonly file: string }
  | { readonly type: 'exit' };

export interface StartupResult {
  readonly variant: string;
  readonly routes: number;
  readonly origins: number;
  /** From before `NestFactory.create` to after `app.init()`. */
  readonly initMs: number;
  /** After `app.init()` and a full GC. */
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
}

export interface MicroRow {
  readonly path: string;
  readonly case: string;
  /** Wall clock (process.hrtime.bigint), median of the repetitions. */
  readonly nsPerCall: number;
  /** Process CPU time (process.cpuUsage, all threads) per call, median: less sensitive to other load on the machine. */
  readonly cpuNsPerCall: number;
  /** Wall clock of every repetition, for the spread. */
  readonly samples: readonly number[];
}
