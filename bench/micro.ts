/**
 * Child process: micro-benchmark of the per-request CORS decision, in nanoseconds per call.
 *
 *   node dist-bench/bench/micro.js <group> [--quick]
 *
 * Groups: baseline (a response object and next() or end(), no CORS work), lib-3, lib-10k,
 * lib-resolver (the library's middleware `use` and `matchOrigin`), cors-3, cors-10k (the `cors`
 * package's middleware, i.e. what `app.enableCors()` installs).
 * Each group runs in its own process so that one group's JIT feedback does not slow another.
 * Real `IncomingMessage`/`ServerResponse` objects without a socket; every call gets a fresh
 * response (as every request does), so its allocation is in every figure alike.
 */
import { keepCorsVaryOn } from '../lib/headers/vary.js';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import cors from 'cors';
import type { INestApplication } from '@nestjs/common';
import { createBenchApp } from './app.js';
import { CorsMiddleware } from '../lib/cors.middleware.js';
import { matchOrigin, type OriginRuleSet } from '../lib/origins/origin-matcher.js';
import type { CorsRequest } from '../lib/cors-request.interface.js';
import {
  ALLOWED_ORIGIN,
  REFUSED_ORIGIN,
  SCENARIOS,
  THREE_ORIGINS,
  manyOrigins,
  variantByName,
  type ChildMessage,
  type MicroRow,
  type ScenarioName,
} from './shared.js';

/**
 * A real `http.ServerResponse` (so that `setHeader`, `getHeader` and the object's shape are what
 * a server sees: a fake object would hide costs such as adding properties to the response), with
 * no socket. `end()` records the call and does not serialise anything: the `cors` package and the
 * library both end a preflight with one `end()`, whose cost (writing the response) is the same for
 * both and is not part of the decision. A subclass, so that the hook is on the prototype and every
 * instance keeps the same shape.
 */
class BenchResponse extends ServerResponse {
  onEnd: (() => void) | undefined = undefined;
  ended = false;
  override end(): this {
    this.ended = true;
    this.onEnd?.();
    return this;
  }
}

const socket = new Socket();

/**
 * Express gives every request's response its app's prototype (`Object.setPrototypeOf(res, app.response)`,
 * an object that inherits from `ServerResponse.prototype`); do the same, since it changes what
 * adding properties to a response costs.
 */
const APP_RESPONSE: object = Object.create(BenchResponse.prototype);

function newResponse(req: CorsRequest, onEnd?: () => void): BenchResponse {
  const res = new BenchResponse(req);
  Object.setPrototypeOf(res, APP_RESPONSE);
  res.onEnd = onEnd;
  return res;
}

/** A real `IncomingMessage` with the scenario's method, URL and headers. */
function fakeRequest(scenario: ScenarioName): CorsRequest {
  const spec = SCENARIOS.find((s) => s.name === scenario)!;
  const req = new IncomingMessage(socket);
  req.method = spec.method;
  req.url = spec.path;
  req.headers = { host: '127.0.0.1:3000', ...spec.headers };
  return req as CorsRequest;
}

type Middleware = (req: CorsRequest, res: ServerResponse, next: (error?: unknown) => void) => void;

/** One call; `done` is called when the decision is complete (synchronously or not). */
type Call = (done: () => void) => void;

const quick = process.argv.includes('--quick');
const REPETITIONS = quick ? 3 : 5;
const REPETITION_MS = quick ? 60 : 150;
const WARMUP_MS = quick ? 150 : 300;

/** Runs `call` `iterations` times in a row, awaiting it only when it completes asynchronously. */
async function run(call: Call, iterations: number): Promise<{ wallNs: number; cpuNs: number }> {
  let finished = false;
  let wake: (() => void) | undefined;
  const done = (): void => {
    finished = true;
    if (wake !== undefined) {
      const resolve = wake;
      wake = undefined;
      resolve();
    }
  };
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    finished = false;
    call(done);
    if (!finished) await new Promise<void>((resolve) => (finished ? resolve() : (wake = resolve)));
  }
  const wallNs = Number(process.hrtime.bigint() - start);
  const cpu = process.cpuUsage(cpuStart);
  return { wallNs, cpuNs: (cpu.user + cpu.system) * 1e3 };
}

async function measure(call: Call): Promise<{ nsPerCall: number; cpuNsPerCall: number; samples: number[] }> {
  // Warm up, and calibrate the iteration count to about REPETITION_MS per repetition.
  let iterations = 1_000;
  let elapsedNs = 0;
  const warmupEnd = Date.now() + WARMUP_MS;
  while (Date.now() < warmupEnd) {
    elapsedNs = (await run(call, iterations)).wallNs;
    if (elapsedNs < 10e6) iterations *= 2;
  }
  const perCall = elapsedNs / iterations;
  const n = Math.max(1_000, Math.round((REPETITION_MS * 1e6) / perCall));
  const samples: number[] = [];
  const cpuSamples: number[] = [];
  for (let r = 0; r < REPETITIONS; r++) {
    const { wallNs, cpuNs } = await run(call, n);
    samples.push(wallNs / n);
    cpuSamples.push(cpuNs / n);
  }
  return { nsPerCall: median(samples), cpuNsPerCall: median(cpuSamples), samples };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Checks once, before timing, that the call does what the case says (so we time the right path). */
async function verify(label: string, middleware: Middleware, scenario: ScenarioName, expectAllowOrigin: string | undefined): Promise<void> {
  let res!: ServerResponse;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label}: neither next() nor res.end() was called`)), 5_000);
    const finish = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const req = fakeRequest(scenario);
    res = newResponse(req, finish);
    middleware(req, res, finish);
  });
  const got = res.getHeader('access-control-allow-origin');
  if (got !== expectAllowOrigin)
    throw new Error(`${label}: Access-Control-Allow-Origin is ${String(got)}, expected ${String(expectAllowOrigin)}`);
}

function middlewareCall(middleware: Middleware, scenario: ScenarioName): Call {
  const req = fakeRequest(scenario);
  // An answered preflight ends the response instead of calling next().
  return (done) => middleware(req, newResponse(req, done), done);
}

function matchOriginCall(rules: OriginRuleSet, origin: string, scenario: ScenarioName): Call {
  const req = fakeRequest(scenario);
  return (done) => {
    const decision = matchOrigin(rules, origin, req);
    if (typeof decision === 'boolean') done();
    else void decision.then(done);
  };
}

const CASES: ReadonlyArray<readonly [ScenarioName, string]> = [
  ['allowed', 'allowed GET'],
  ['preflight', 'preflight'],
  ['refused', 'refused GET'],
  ['no-origin', 'no Origin GET'],
];

async function libraryGroup(group: 'lib-3' | 'lib-10k' | 'lib-resolver'): Promise<MicroRow[]> {
  const app: INestApplication = await createBenchApp({ variant: variantByName(group), routes: 20 });
  // CorsModule prepares the app's response prototype once (lib/headers/vary.ts); do the same for the stand-in prototype.
  keepCorsVaryOn(APP_RESPONSE);
  try {
    const instance = app.get(CorsMiddleware, { strict: false });
    const middleware = instance.use as unknown as Middleware;
    const runtime = (instance as unknown as { runtime?: { table?: { defaults?: { origins?: OriginRuleSet } } } }).runtime;
    const rules = runtime?.table?.defaults?.origins;
    if (rules === undefined)
      throw new Error('CorsMiddleware.runtime.table.defaults.origins not found: update bench/micro.ts to the new internals');
    const rows: MicroRow[] = [];
    for (const [scenario, label] of CASES) {
      const expected = scenario === 'allowed' || scenario === 'preflight' ? ALLOWED_ORIGIN : undefined;
      // The first call of the resolver group fills the cache (one real 1 ms lookup per origin).
      await verify(`${group} ${label}`, middleware, scenario, expected);
      const result = await measure(middlewareCall(middleware, scenario));
      rows.push({ path: `CorsMiddleware.use (${group})`, case: label, ...result });
    }
    for (const [origin, label] of [
      [ALLOWED_ORIGIN, 'allowed origin'],
      [REFUSED_ORIGIN, 'refused origin'],
    ] as const) {
      const result = await measure(matchOriginCall(rules, origin, 'allowed'));
      rows.push({ path: `matchOrigin (${group})`, case: label, ...result });
    }
    return rows;
  } finally {
    await app.close();
  }
}

async function corsGroup(group: 'cors-3' | 'cors-10k'): Promise<MicroRow[]> {
  const origins = group === 'cors-10k' ? manyOrigins(10_000) : [...THREE_ORIGINS];
  const middleware = cors({ origin: origins, credentials: true, maxAge: 600 }) as unknown as Middleware;
  const rows: MicroRow[] = [];
  for (const [scenario, label] of CASES) {
    const expected = scenario === 'allowed' || scenario === 'preflight' ? ALLOWED_ORIGIN : undefined;
    await verify(`${group} ${label}`, middleware, scenario, expected);
    const result = await measure(middlewareCall(middleware, scenario));
    rows.push({ path: `cors package (${group === 'cors-3' ? 'enableCors-3' : 'enableCors-10k'})`, case: label, ...result });
  }
  return rows;
}

/** What every figure includes whatever the middleware: a response object, and ending it for a preflight. */
async function baselineGroup(): Promise<MicroRow[]> {
  const passThrough: Middleware = (_req, _res, next) => next();
  const answer: Middleware = (_req, res) => {
    res.statusCode = 204;
    res.setHeader('Content-Length', '0');
    res.end();
  };
  // (end() records the call only: see BenchResponse.)
  return [
    { path: 'baseline (no CORS work)', case: 'GET: new response + next()', ...(await measure(middlewareCall(passThrough, 'allowed'))) },
    {
      path: 'baseline (no CORS work)',
      case: 'preflight: new response + 204 + end()',
      ...(await measure(middlewareCall(answer, 'preflight'))),
    },
  ];
}

async function main(): Promise<void> {
  const group = process.argv[2];
  let rows: MicroRow[];
  if (group === 'baseline') rows = await baselineGroup();
  else if (group === 'lib-3' || group === 'lib-10k' || group === 'lib-resolver') rows = await libraryGroup(group);
  else if (group === 'cors-3' || group === 'cors-10k') rows = await corsGroup(group);
  else throw new Error(`unknown micro-benchmark group "${group}"`);
  const message: ChildMessage = { type: 'micro', rows };
  if (process.send === undefined) console.log(JSON.stringify(message, null, 2));
  else await new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));
  process.exit(0);
}

main().catch(async (error: unknown) => {
  const message: ChildMessage = { type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  if (process.send === undefined) console.error(message.message);
  else await new Promise<void>((resolve) => process.send!(message, undefined, {}, () => resolve()));
  process.exit(1);
});
