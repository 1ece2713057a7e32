/**
 * `npm run bench`: no CORS vs `app.enableCors()` vs `CorsModule` on the same NestJS app.
 *
 *   node dist-bench/bench/run.js [--quick] [--rounds N] [--duration S] [--connections N]
 *                                [--only v1,v2] [--skip-load] [--skip-micro] [--skip-startup]
 *                                [--skip-instructions] [--batches N] [--batch-requests N]
 *                                [--profile variant:scenario[,variant:scenario...]] [--out file]
 *                                [--skip-websockets] [--only-websockets]
 *                                [--handshake-sources io,ws,raw,gql]
 *
 * Each app variant runs in its own child process (bench/server.ts), one at a time, on
 * 127.0.0.1; autocannon runs here, in the parent. Variants alternate round by round
 * (A B C ... A B C ...). Then every variant again under valgrind, for instructions per request
 * (bench/instructions.ts). See bench/README.md for how to read the results.
 */
import { fork, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { cpus, loadavg, totalmem, type as osType, release } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { instructionCountUnavailable, instructionRatio, lowest, runInstructionCounts, type InstructionResults } from './instructions.js';
import { formatSummary, summarize } from './profile.js';
import { runHandshakeBench } from './websockets.js';
import {
  ALLOWED_METHODS,
  SCENARIOS,
  VARIANTS,
  baseVariants,
  platformOf,
  variantByName,
  type ChildMessage,
  type MicroRow,
  type ParentMessage,
  type Scenario,
  type ScenarioName,
  type StartupResult,
  type VariantName,
  type VariantSpec,
} from './shared.js';

// ---------------------------------------------------------------------------------------------
// Options

const here = dirname(fileURLToPath(import.meta.url)); // dist-bench/bench
const repoRoot = resolve(here, '..', '..');
const argv = process.argv.slice(2);

function option(name: string): string | undefined {
  const index = argv.indexOf(`--${name}`);
  if (index === -1) return undefined;
  const value = argv[index + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}
const flag = (name: string): boolean => argv.includes(`--${name}`);

const quick = flag('quick');
const settings = {
  quick,
  rounds: Number(option('rounds') ?? (quick ? 1 : 3)),
  durationS: Number(option('duration') ?? (quick ? 1 : 5)),
  warmupS: quick ? 0.5 : 2,
  warmupRequests: quick ? 2_000 : 5_000,
  connections: Number(option('connections') ?? 50),
  pipelining: 1,
  loadRoutes: 20,
  startupRoutes: [20, 200] as const,
  startupRepetitions: quick ? 1 : 5,
  only: option('only')
    ?.split(',')
    .map((name) => variantByName(name.trim()).name),
  // --only-websockets: the handshake section alone (its instructions included).
  skipLoad: flag('skip-load') || flag('only-websockets'),
  skipMicro: flag('skip-micro') || flag('only-websockets'),
  skipStartup: flag('skip-startup') || flag('only-websockets'),
  skipInstructions: flag('skip-instructions'),
  skipRequestInstructions: flag('only-websockets'),
  instructions: {
    batches: Number(option('batches') ?? (quick ? 1 : 5)),
    batchRequests: Number(option('batch-requests') ?? (quick ? 20 : 200)),
    // Steady state: after 1,000 requests per scenario some hot functions still ran unoptimised, and
    // the counts moved by 3-5 % between runs of one build; from 4,000 on they stop falling.
    warmupRequests: Number(option('warmup-requests') ?? (quick ? 100 : 5_000)),
    parallel: cpus().length,
    processes: Number(option('processes') ?? (quick ? 1 : 2)),
    routes: 20,
  },
  profile: option('profile'),
  out: option('out'),
};
for (const [name, value] of Object.entries({
  rounds: settings.rounds,
  duration: settings.durationS,
  connections: settings.connections,
  batches: settings.instructions.batches,
  'batch-requests': settings.instructions.batchRequests,
  'warmup-requests': settings.instructions.warmupRequests,
  processes: settings.instructions.processes,
})) {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
}

// ---------------------------------------------------------------------------------------------
// Child processes: every one is tracked and killed on the way out, whatever happens.

const children = new Set<ChildProcess>();

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

function spawnChild(script: string, args: string[], execArgv: string[] = []): ChildProcess {
  const child = fork(join(here, script), args, {
    cwd: repoRoot,
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** The next message of `type` from `child`; rejects on an `error` message, on exit, or after `timeoutMs`. */
function nextMessage<T extends ChildMessage['type']>(
  child: ChildProcess,
  type: T,
  timeoutMs: number,
  what: string,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolvePromise, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: ChildMessage): void => {
      if (message.type === type) {
        cleanup();
        resolvePromise(message as Extract<ChildMessage, { type: T }>);
      } else if (message.type === 'error') {
        cleanup();
        reject(new Error(`${what} failed in the child:\n${message.message}`));
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`${what}: child exited (code ${code}, signal ${signal}) before sending "${type}"`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what}: no "${type}" from the child within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
  // A startup child exits on its own after its reply: it may be gone by the time the message is written (EPIPE).
  if (child.connected) child.send({ type: 'exit' } satisfies ParentMessage, (error) => error && child.kill('SIGTERM'));
  else child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

interface RunningServer {
  readonly child: ChildProcess;
  readonly port: number;
  readonly startupMs: number;
}

async function startServer(variant: VariantSpec, execArgv: string[] = []): Promise<RunningServer> {
  const child = spawnChild('server.js', ['serve', variant.name, String(settings.loadRoutes)], execArgv);
  try {
    const ready = await nextMessage(child, 'ready', 60_000, `starting ${variant.name}`);
    return { child, port: ready.port, startupMs: ready.startupMs };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

async function serverCpuMicros(server: RunningServer): Promise<number> {
  const reply = nextMessage(server.child, 'cpu', 10_000, 'CPU time of the server');
  server.child.send({ type: 'cpu' } satisfies ParentMessage);
  return (await reply).cpuMicros;
}

async function counters(server: RunningServer, variant: VariantSpec): Promise<Extract<ChildMessage, { type: 'counters' }>> {
  const reply = nextMessage(server.child, 'counters', 10_000, `counters of ${variant.name}`);
  server.child.send({ type: 'counters' } satisfies ParentMessage);
  return reply;
}

// ---------------------------------------------------------------------------------------------
// Load

interface Measurement {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly statuses: string;
  readonly errors: number;
  /** Server process CPU time (all its threads) per request served, µs. */
  readonly cpuUsPerRequest: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[index];
}

function statusSummary(stats: Record<string, { count: number }>): string {
  return Object.keys(stats).sort().join('/');
}

async function load(server: RunningServer, scenario: Scenario, durationS: number): Promise<Measurement> {
  const latencies: number[] = [];
  const cpuBefore = await serverCpuMicros(server);
  const instance = autocannon({
    url: `http://127.0.0.1:${server.port}${scenario.path}`,
    method: scenario.method,
    headers: { ...scenario.headers },
    connections: settings.connections,
    pipelining: settings.pipelining,
    duration: durationS,
  });
  // autocannon's own histogram has 1 ms resolution; keep every response time (ms, float).
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => latencies.push(responseTime));
  const result = await instance;
  const cpuMicros = (await serverCpuMicros(server)) - cpuBefore;
  const sorted = Float64Array.from(latencies).sort();
  return {
    rps: result.requests.total / result.duration,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    statuses: statusSummary(result.statusCodeStats),
    errors: result.errors + result.timeouts,
    cpuUsPerRequest: result.requests.total === 0 ? Number.NaN : cpuMicros / result.requests.total,
  };
}

/**
 * Warms the JIT up with the four scenarios in turn: at least `durationS`, and at least
 * `minRequests` requests (on a busy machine a fixed time may be too few requests), at most 20 s.
 */
async function warmUp(port: number, durationS: number, minRequests = settings.warmupRequests): Promise<void> {
  const started = Date.now();
  let served = 0;
  do {
    const result = await autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: settings.connections,
      pipelining: settings.pipelining,
      duration: durationS,
      requests: SCENARIOS.map((s) => ({ method: s.method, path: s.path, headers: { ...s.headers } })),
    });
    served += result.requests.total;
  } while (served < minRequests && Date.now() - started < 20_000);
}

interface Probed {
  readonly status: number;
  readonly allowOrigin: string | undefined;
  /** `Vary` and every `Access-Control-*` header, by lower-case name. */
  readonly corsHeaders: Readonly<Record<string, string>>;
}

/** One request, to check that the variant does what the scenario assumes (so that we time the right path). */
function probe(port: number, scenario: Scenario): Promise<Probed> {
  return new Promise((resolvePromise, reject) => {
    const req = request({ host: '127.0.0.1', port, method: scenario.method, path: scenario.path, headers: scenario.headers }, (res) => {
      res.resume();
      res.on('end', () => {
        const corsHeaders: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined && (name === 'vary' || name.startsWith('access-control-'))) corsHeaders[name] = String(value);
        }
        resolvePromise({
          status: res.statusCode ?? 0,
          allowOrigin: res.headers['access-control-allow-origin'] as string | undefined,
          corsHeaders,
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

interface Expected {
  readonly status: number;
  readonly allowOrigin: string | undefined;
  /** When set, the CORS headers must be exactly these (the floor and the library send the same ones). */
  readonly corsHeaders?: Readonly<Record<string, string>>;
}

/**
 * What the library sends in each scenario with the bench's options (3 origins, credentials,
 * maxAge 600, the default methods), and so what the floor must send too.
 */
function libraryHeaders(scenario: Scenario): Record<string, string> {
  const credentialed = { 'access-control-allow-origin': scenario.headers.origin, 'access-control-allow-credentials': 'true' };
  if (scenario.name === 'allowed') return { vary: 'Origin', ...credentialed };
  if (scenario.name === 'preflight') {
    return {
      vary: 'Access-Control-Request-Headers, Origin',
      ...credentialed,
      'access-control-allow-methods': ALLOWED_METHODS,
      'access-control-allow-headers': scenario.headers['access-control-request-headers'],
      'access-control-max-age': '600',
    };
  }
  return { vary: 'Origin' };
}

function expectation(variant: VariantSpec, scenario: Scenario): Expected {
  // No CORS: an OPTIONS request has no route (Nest's 404, on Express and on Fastify).
  if (variant.cors === 'none') {
    return {
      status: scenario.name === 'preflight' ? 404 : 200,
      allowOrigin: undefined,
      ...(platformOf(variant) === 'fastify' ? { corsHeaders: {} } : {}),
    };
  }
  const allowed = scenario.name === 'allowed' || scenario.name === 'preflight';
  const base = { status: scenario.name === 'preflight' ? 204 : 200, allowOrigin: allowed ? scenario.headers.origin : undefined };
  // On Fastify the floor is checked header by header against what the library sends.
  if (platformOf(variant) === 'fastify' && (variant.cors === 'floor' || variant.cors === 'lib')) {
    return { ...base, corsHeaders: libraryHeaders(scenario) };
  }
  return base;
}

const problems: string[] = [];

const show = (headers: Readonly<Record<string, string>>): string => JSON.stringify(headers);

async function checkVariant(port: number, variant: VariantSpec): Promise<void> {
  for (const scenario of SCENARIOS) {
    const got = await probe(port, scenario);
    const want = expectation(variant, scenario);
    if (got.status !== want.status || got.allowOrigin !== want.allowOrigin) {
      problems.push(
        `${variant.name} / ${scenario.name}: got ${got.status} with Access-Control-Allow-Origin ${String(got.allowOrigin)}, ` +
          `expected ${want.status} with ${String(want.allowOrigin)}`,
      );
    }
    if (want.corsHeaders !== undefined && show(sortedHeaders(got.corsHeaders)) !== show(sortedHeaders(want.corsHeaders))) {
      problems.push(`${variant.name} / ${scenario.name}: CORS headers ${show(got.corsHeaders)}, expected ${show(want.corsHeaders)}`);
    }
    // The preflight asks for PATCH: a CORS variant that does not allow it answers another question.
    if (variant.cors !== 'none' && scenario.name === 'preflight') {
      const methods = (got.corsHeaders['access-control-allow-methods'] ?? '').split(',').map((m) => m.trim());
      if (!methods.includes(scenario.headers['access-control-request-method'])) {
        problems.push(
          `${variant.name} / preflight: Access-Control-Allow-Methods ${String(got.corsHeaders['access-control-allow-methods'])} lacks PATCH`,
        );
      }
    }
  }
}

function sortedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).sort(([a], [b]) => (a < b ? -1 : 1)));
}

type LoadResults = Map<VariantName, Map<ScenarioName, Measurement[]>>;

interface ResolverCounts {
  readonly variant: VariantName;
  readonly round: number;
  readonly resolverCalls: Record<string, number>;
  readonly callbackCalls: number;
  readonly requests: number;
}

async function runLoad(variants: readonly VariantSpec[]): Promise<{ results: LoadResults; counts: ResolverCounts[] }> {
  const results: LoadResults = new Map(variants.map((v) => [v.name, new Map(SCENARIOS.map((s) => [s.name, [] as Measurement[]]))]));
  const counts: ResolverCounts[] = [];
  for (let round = 0; round < settings.rounds; round++) {
    // Scenarios rotate from round to round, so that none is always measured first (or last) in a process.
    const scenarios = SCENARIOS.map((_, i) => SCENARIOS[(i + round) % SCENARIOS.length]);
    for (const variant of variants) {
      const server = await startServer(variant);
      try {
        await checkVariant(server.port, variant);
        await warmUp(server.port, settings.warmupS);
        let requests = 0;
        const line: string[] = [];
        for (const scenario of scenarios) {
          const measurement = await load(server, scenario, settings.durationS);
          results.get(variant.name)!.get(scenario.name)!.push(measurement);
          requests += Math.round(measurement.rps * settings.durationS);
          line.push(`${scenario.name} ${Math.round(measurement.rps)}/s`);
        }
        if (variant.origins === 'resolver' || variant.origins === 'resolver-scoped' || variant.origins === 'callback') {
          const reply = await counters(server, variant);
          counts.push({
            variant: variant.name,
            round: round + 1,
            resolverCalls: reply.resolverCalls,
            callbackCalls: reply.callbackCalls,
            requests,
          });
        }
        log(`  round ${round + 1}/${settings.rounds}  ${variant.name.padEnd(17)} ${line.join(', ')}`);
      } finally {
        await stopChild(server.child);
      }
    }
  }
  return { results, counts };
}

// ---------------------------------------------------------------------------------------------
// Micro-benchmark and startup

const MICRO_GROUPS = ['baseline', 'cors-3', 'cors-10k', 'lib-3', 'lib-10k', 'lib-resolver'] as const;

async function runMicro(): Promise<MicroRow[]> {
  const rows: MicroRow[] = [];
  for (const group of MICRO_GROUPS) {
    const child = spawnChild('micro.js', quick ? [group, '--quick'] : [group]);
    try {
      const reply = await nextMessage(child, 'micro', 300_000, `micro-benchmark ${group}`);
      rows.push(...reply.rows);
      log(`  ${group}: ${reply.rows.map((r) => `${r.case} ${r.nsPerCall.toFixed(0)} ns`).join(', ')}`);
    } finally {
      await stopChild(child);
    }
  }
  return rows;
}

/** What `--quick` counts under valgrind (without `--only`): no CORS and the library, on Express and on Fastify. */
const QUICK_INSTRUCTION_VARIANTS: readonly VariantName[] = ['none', 'lib-3', 'fastify-none', 'fastify-lib-3'];

/** Left out of `--quick` (without `--only`), to keep CI's run short: Fastify's floor and enableCors, the per-route variants. */
const QUICK_SKIPPED_VARIANTS: readonly VariantName[] = [
  'fastify-floor',
  'fastify-enableCors-3',
  'lib-3-per-route',
  'fastify-lib-3-per-route',
  'lib-3-loopback',
];

const STARTUP_VARIANTS: readonly VariantName[] = ['none', 'enableCors-3', 'enableCors-10k', 'lib-3', 'lib-10k', 'lib-3-loopback'];

async function runStartup(): Promise<StartupResult[][]> {
  const configs = settings.startupRoutes.flatMap((routes) => STARTUP_VARIANTS.map((variant) => ({ variant, routes })));
  const results: StartupResult[][] = configs.map(() => []);
  for (let repetition = 0; repetition < settings.startupRepetitions; repetition++) {
    for (const [index, config] of configs.entries()) {
      const child = spawnChild('server.js', ['startup', config.variant, String(config.routes)], ['--expose-gc']);
      try {
        const reply = await nextMessage(child, 'startup', 60_000, `startup of ${config.variant} (${config.routes} routes)`);
        results[index].push(reply.result);
      } finally {
        await stopChild(child);
      }
    }
    log(`  repetition ${repetition + 1}/${settings.startupRepetitions} done`);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------
// Profiles

async function runProfiles(spec: string): Promise<string> {
  const dir = join(repoRoot, 'bench', 'results', 'profiles');
  mkdirSync(dir, { recursive: true });
  const sections: string[] = [];
  for (const item of spec.split(',')) {
    const [variantName, scenarioName = 'allowed'] = item.split(':');
    const variant = variantByName(variantName);
    const scenario = SCENARIOS.find((s) => s.name === scenarioName);
    if (scenario === undefined) throw new Error(`unknown scenario "${scenarioName}" (known: ${SCENARIOS.map((s) => s.name).join(', ')})`);
    const file = join(dir, `${variant.name}-${scenario.name}.cpuprofile`);
    const server = await startServer(variant);
    let measurement: Measurement;
    try {
      await warmUp(server.port, settings.warmupS);
      // Profile the measurement only: not the startup, not the warm-up (which mixes scenarios).
      const started = nextMessage(server.child, 'profile-started', 10_000, 'starting the profiler');
      server.child.send({ type: 'profile-start', intervalMicros: 200 } satisfies ParentMessage);
      await started;
      measurement = await load(server, scenario, Math.max(settings.durationS, 5));
      const saved = nextMessage(server.child, 'profile-saved', 30_000, 'saving the profile');
      server.child.send({ type: 'profile-stop', file } satisfies ParentMessage);
      await saved;
    } finally {
      await stopChild(server.child);
    }
    const summary = formatSummary(
      `${variant.label}, ${scenario.title} (${Math.round(measurement.rps)} req/s while profiling; ${relative(repoRoot, file)})`,
      summarize(JSON.parse(readFileSync(file, 'utf8')), 30),
    );
    writeFileSync(file.replace(/\.cpuprofile$/, '.md'), summary);
    sections.push(summary);
    log(summary);
  }
  return sections.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Report

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '—');
const ratio = (value: number, base: number | undefined): string =>
  base === undefined || !Number.isFinite(base) || base === 0 ? '—' : `${(value / base).toFixed(3)}`;
const mib = (bytes: number): number => bytes / 1024 / 1024;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

function table(header: string[], align: Array<'l' | 'r'>, rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
}

interface Summary {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly spread: number;
  readonly perRound: readonly number[];
  readonly statuses: string;
  readonly errors: number;
  readonly cpuUsPerRequest: number;
}

function summarise(measurements: readonly Measurement[]): Summary {
  const rps = median(measurements.map((m) => m.rps));
  const perRound = measurements.map((m) => m.rps);
  return {
    rps,
    p50: median(measurements.map((m) => m.p50)),
    p99: median(measurements.map((m) => m.p99)),
    spread: perRound.length > 1 ? (Math.max(...perRound) - Math.min(...perRound)) / rps : 0,
    perRound,
    statuses: [...new Set(measurements.map((m) => m.statuses))].join(', '),
    errors: measurements.reduce((sum, m) => sum + m.errors, 0),
    cpuUsPerRequest: median(measurements.map((m) => m.cpuUsPerRequest)),
  };
}

/** Median over rounds of (variant / base) in the same round: robust to drift between rounds. */
function pairedRatio(
  results: LoadResults,
  variant: VariantName,
  base: VariantName,
  scenario: ScenarioName,
): { median: number; min: number; max: number } | undefined {
  const a = results.get(variant)?.get(scenario);
  const b = results.get(base)?.get(scenario);
  if (a === undefined || b === undefined || a.length === 0 || a.length !== b.length) return undefined;
  const ratios = a.map((m, i) => m.rps / b[i].rps);
  return { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
}

function loadSection(variants: readonly VariantSpec[], results: LoadResults, counts: readonly ResolverCounts[]): string {
  const out: string[] = ['## Load: requests/s and latency', ''];
  out.push(
    `autocannon ${settings.connections} connections, pipelining ${settings.pipelining}, ${settings.durationS} s per measurement, ` +
      `${settings.rounds} round(s), variants alternating within each round; ${settings.loadRoutes + 2} routes. ` +
      'req/s is the median over rounds; p50/p99 are medians of the per-round percentiles (all responses, ms). ' +
      '"spread" is (max − min) / median of the per-round req/s. ' +
      '"server CPU µs/req" is the server process\'s CPU time (all threads) divided by the requests it served, median over rounds: ' +
      'it does not depend on how much CPU the load generator or other processes took, so it is the steadier cost figure on a busy machine.',
    '',
  );
  for (const scenario of SCENARIOS) {
    const summaries = new Map(variants.map((v) => [v.name, summarise(results.get(v.name)!.get(scenario.name)!)]));
    const rpsOf = (name: VariantName): number | undefined => summaries.get(name)?.rps;
    out.push(`### ${scenario.title}`, '');
    out.push(
      table(
        ['variant', 'req/s (median)', 'p50 ms', 'p99 ms', '× no CORS', '× enableCors(3)', 'spread', 'server CPU µs/req', 'status'],
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
        variants.map((v) => {
          const s = summaries.get(v.name)!;
          // Against no CORS and enableCors(3) on the variant's own platform.
          const none = rpsOf(baseVariants(v).none);
          const enable3 = rpsOf(baseVariants(v).enableCors);
          return [
            v.label,
            fixed(s.rps, 0),
            fixed(s.p50, 2),
            fixed(s.p99, 2),
            ratio(s.rps, none),
            ratio(s.rps, enable3),
            `${(s.spread * 100).toFixed(1)} %`,
            fixed(s.cpuUsPerRequest, 1),
            s.statuses + (s.errors > 0 ? ` (${s.errors} errors)` : ''),
          ];
        }),
      ),
      '',
    );
    if (scenario.name === 'preflight' && variants.some((v) => v.cors === 'none')) {
      out.push('_No CORS answers this preflight with a 404 from Nest (no OPTIONS route); its ratio compares different work._', '');
    }
  }
  if (counts.length > 0) {
    out.push('### Dynamic origin lookups', '');
    out.push(
      table(
        ['variant', 'round', 'requests served', 'resolver calls per origin', 'origin callback calls'],
        ['l', 'r', 'r', 'l', 'r'],
        counts.map((c) => [
          variantByName(c.variant).label,
          String(c.round),
          String(c.requests),
          Object.keys(c.resolverCalls).length === 0
            ? '—'
            : Object.entries(c.resolverCalls)
                .map(([origin, n]) => `${origin}: ${n}`)
                .join(', '),
          c.callbackCalls === 0 ? '—' : String(c.callbackCalls),
        ]),
      ),
      '',
      'Each round starts a fresh process (empty cache); the resolver cache TTL is the default 60 s, longer than a round, ' +
        'so the library should call the resolver exactly once per origin per round (the allowed and the refused origin; ' +
        'requests without Origin never reach it). The `cors` package calls the origin callback on every request, ' +
        'including those without Origin.',
      '',
    );
  }
  return out.join('\n');
}

function microSection(rows: readonly MicroRow[]): string {
  const baseline = (kind: string): number => rows.find((r) => r.path.startsWith('baseline') && r.case.startsWith(kind))?.cpuNsPerCall ?? 0;
  /** matchOrigin has no response object; middleware rows subtract the GET or the preflight baseline. */
  const baselineFor = (row: MicroRow): number =>
    row.path.startsWith('matchOrigin') ? 0 : row.case === 'preflight' ? baseline('preflight') : baseline('GET');
  const out = ['## Micro-benchmark: the per-request decision (ns per call)', ''];
  out.push(
    'One middleware call (route lookup, origin check, header values, `Vary`) on a real `IncomingMessage` and a fresh real ' +
      '`ServerResponse` (no socket) given an app prototype as Express does per request, or `matchOrigin` alone. ' +
      'The baseline rows are what every middleware row includes (the response object; ending it, for preflights): subtract them. ' +
      `Warm-up, then ${quick ? 3 : 5} timed repetitions (process.hrtime.bigint); median. Each group in its own process. ` +
      'Asynchronous decisions (the resolver, even when cached) are awaited before the next call. ' +
      '"CPU ns/call" divides the process CPU time (process.cpuUsage, GC threads included) instead of the wall clock.',
    '',
  );
  out.push(
    table(
      ['path', 'case', 'ns/call (median)', 'min–max', 'CPU ns/call', 'CPU ns − baseline'],
      ['l', 'l', 'r', 'r', 'r', 'r'],
      rows.map((r) => [
        r.path,
        r.case,
        fixed(r.nsPerCall, 0),
        `${fixed(Math.min(...r.samples), 0)}–${fixed(Math.max(...r.samples), 0)}`,
        fixed(r.cpuNsPerCall, 0),
        r.path.startsWith('baseline') ? '' : fixed(r.cpuNsPerCall - baselineFor(r), 0),
      ]),
    ),
    '',
  );
  return out.join('\n');
}

interface StartupSummary {
  readonly variant: VariantName;
  readonly routes: number;
  readonly initMs: number;
  readonly rss: number;
  readonly heap: number;
}

function summariseStartup(results: readonly StartupResult[][]): StartupSummary[] {
  return results
    .filter((runs) => runs.length > 0)
    .map((runs) => ({
      variant: runs[0].variant as VariantName,
      routes: runs[0].routes,
      initMs: Math.min(...runs.map((r) => r.initMs)),
      rss: median(runs.map((r) => r.rssBytes)),
      heap: median(runs.map((r) => r.heapUsedBytes)),
    }));
}

function startupSection(summaries: readonly StartupSummary[]): string {
  const out = ['## Startup and memory', ''];
  out.push(
    'Each configuration in its own child process (`node --expose-gc`), ' +
      `${settings.startupRepetitions} repetition(s). Time from before \`NestFactory.create\` to after \`app.init()\`, the fastest repetition ` +
      '(the least disturbed by other processes); RSS and heap after `app.init()` and two full GCs, median. Δ columns: against no CORS with the same routes.',
    '',
  );
  const none = (routes: number): StartupSummary | undefined => summaries.find((s) => s.variant === 'none' && s.routes === routes);
  out.push(
    table(
      ['variant', 'routes', 'init ms', 'RSS MiB', 'heap MiB', 'Δ init ms', 'Δ RSS MiB', 'Δ heap MiB'],
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      summaries.map((s) => {
        const base = none(s.routes);
        return [
          variantByName(s.variant).label,
          String(s.routes),
          fixed(s.initMs, 1),
          fixed(mib(s.rss), 1),
          fixed(mib(s.heap), 1),
          base === undefined ? '—' : fixed(s.initMs - base.initMs, 1),
          base === undefined ? '—' : fixed(mib(s.rss - base.rss), 1),
          base === undefined ? '—' : fixed(mib(s.heap - base.heap), 1),
        ];
      }),
    ),
    '',
  );
  return out.join('\n');
}

function instructionsSection(variants: readonly VariantSpec[], results: InstructionResults): string {
  const { batches, batchRequests, warmupRequests, processes } = settings.instructions;
  const out = ['## Instructions per request (callgrind)', ''];
  out.push(
    `Each variant's server under \`valgrind --tool=callgrind\` (node \`--single-threaded --predictable-gc-schedule --hash-seed=1 --random-seed=1\`), ` +
      `warmed up with ${warmupRequests} requests per scenario, then, scenario by scenario, ${Math.ceil(warmupRequests / 5)} more uncounted ` +
      `and ${batches} batch(es) of ${batchRequests} identical requests ` +
      `on one keep-alive connection, in ${processes} process(es) per variant whose batches are pooled. ` +
      '"instructions/req" counts everything the server process runs for a request (HTTP parser, ' +
      "Express, Nest, handler, CORS, writing the response) except V8's garbage collector and optimising compiler, which come in " +
      'lumps worth 20–50 % of a batch; it is the lowest of the batches (min–max shown). Instruction counts do not depend on the ' +
      'load of the machine: on Express two runs of one variant agree within ±0.5 %, on Fastify within about ±2 %, and now and ' +
      'then one process settles where every request costs a third more (the other process keeps it out of the lowest batch); a 3 % difference is decided here, ' +
      'where requests/s cannot. "× no CORS" = instructions of no CORS ÷ the variant\'s: the requests/s ratio a CPU-bound ' +
      'server would show. "with GC" is the median of the batch totals, GC and compiler included (lumpy; for reference). ' +
      'Fastify rows ("Fastify: ...") are compared with no CORS, enableCors(3) and the floor on Fastify.',
    '',
  );
  for (const scenario of SCENARIOS) {
    out.push(`### ${scenario.title}`, '');
    const rows = variants
      .filter((v) => results.get(v.name)?.has(scenario.name) === true)
      .map((v) => {
        const counts = results.get(v.name)!.get(scenario.name)!;
        const perRequest = lowest(counts.perRequest);
        // Each platform's variants against no CORS and enableCors(3) on the same platform.
        const bases = baseVariants(v);
        const vsNone = instructionRatio(results, v.name, bases.none, scenario.name);
        const vsEnable = instructionRatio(results, v.name, bases.enableCors, scenario.name);
        const vsFloor = instructionRatio(results, v.name, bases.floor, scenario.name);
        const none = results.get(bases.none)?.get(scenario.name);
        return [
          v.label,
          fixed(perRequest, 0),
          `${fixed(lowest(counts.perRequest), 0)}–${fixed(Math.max(...counts.perRequest), 0)}`,
          fixed(median(counts.totalPerRequest), 0),
          none === undefined ? '—' : `${perRequest >= lowest(none.perRequest) ? '+' : ''}${fixed(perRequest - lowest(none.perRequest), 0)}`,
          vsNone === undefined ? '—' : fixed(vsNone, 3),
          vsEnable === undefined ? '—' : fixed(vsEnable, 3),
          vsFloor === undefined ? '—' : fixed(vsFloor, 3),
        ];
      });
    out.push(
      table(
        ['variant', 'instructions/req', 'batches min–max', 'with GC (median)', 'vs no CORS', '× no CORS', '× enableCors(3)', '× floor'],
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
        rows,
      ),
      '',
    );
  }
  return out.join('\n');
}

/** Two counts of the same variant differ by up to ±0.5 %, so a ratio of two is known to about ±1 %. */
const COUNT_REPEATABILITY = 0.01;

function countedVerdict(value: number, goal: number): string {
  if (Math.abs(value - goal) < COUNT_REPEATABILITY) return `${value >= goal ? 'pass' : 'FAIL'}, within ±1 % of the goal: a tie`;
  return value >= goal ? 'pass' : '**FAIL**';
}

function checksSection(
  results: LoadResults | undefined,
  instructions: InstructionResults | undefined,
  startup: readonly StartupSummary[],
): string {
  const out = ['## Against the targets', ''];
  out.push(
    "instructions ratio = instructions per request of the base ÷ the variant's (≥ goal: pass), from the callgrind section: " +
      'repeatable, so it gives the verdict; two runs of one variant agree within ±0.5 %, so a ratio within ±1 % of its goal is a tie. ' +
      'req/s ratio = median over rounds of the per-round ratio (both variants measured in the same round), with the min–max over rounds, ' +
      'and its own verdict: pass when every round meets the goal, FAIL when no round does, unclear otherwise (noise larger than the difference).',
    '',
  );
  const rows: string[][] = [];
  const check = (target: string, variant: VariantName, base: VariantName, scenario: ScenarioName, min: number): void => {
    const r = results === undefined ? undefined : pairedRatio(results, variant, base, scenario);
    const counted = instructions === undefined ? undefined : instructionRatio(instructions, variant, base, scenario);
    if (r === undefined && counted === undefined) return;
    rows.push([
      target,
      `${variant} / ${base}`,
      scenario,
      `≥ ${min.toFixed(2)}`,
      counted === undefined ? '—' : counted.toFixed(3),
      counted === undefined ? '—' : countedVerdict(counted, min),
      r === undefined ? '—' : `${r.median.toFixed(3)} (${r.min.toFixed(3)}–${r.max.toFixed(3)})`,
      r === undefined ? '—' : r.min >= min ? 'pass' : r.max < min ? '**FAIL**' : 'unclear',
    ]);
  };
  for (const scenario of ['allowed', 'refused', 'no-origin'] as const) {
    check('(1) library vs no CORS', 'lib-3', 'none', scenario, 0.97);
    check('(1) floor (hand-written headers) vs no CORS', 'floor', 'none', scenario, 0.97);
    check('(1) library vs enableCors', 'lib-3', 'enableCors-3', scenario, 1.0);
  }
  check('(2) preflight vs enableCors', 'lib-3', 'enableCors-3', 'preflight', 1.0);
  check('(2) preflight vs enableCors (10,000)', 'lib-10k', 'enableCors-10k', 'preflight', 1.0);
  for (const scenario of SCENARIOS) check('(3) 10,000 origins vs 3', 'lib-10k', 'lib-3', scenario.name, 0.97);
  for (const scenario of SCENARIOS) check('(4) cached resolver vs static list', 'lib-resolver', 'lib-3', scenario.name, 0.95);
  // Against an app that also looks its routes up: lib-3 has one policy everywhere and needs no lookup.
  for (const scenario of ['allowed', 'refused', 'no-origin'] as const) {
    check('(5) 50 path patterns vs none, controller route', 'lib-paths-50', 'lib-3-per-route', scenario, 0.99);
  }
  for (const scenario of SCENARIOS) check('(6) CorsOriginSource vs static list (issue 17)', 'lib-source', 'lib-3', scenario.name, 0.99);
  // Issue 15, acceptance 5: the same targets on @nestjs/platform-fastify.
  for (const scenario of ['allowed', 'refused', 'no-origin'] as const) {
    check('(7) Fastify: library vs enableCors (@fastify/cors)', 'fastify-lib-3', 'fastify-enableCors-3', scenario, 1.0);
    check('(7) Fastify: library within 1 % of the floor', 'fastify-lib-3', 'fastify-floor', scenario, 0.99);
  }
  check('(7) Fastify: preflight vs enableCors (@fastify/cors)', 'fastify-lib-3', 'fastify-enableCors-3', 'preflight', 1.0);
  // The same targets for an app with per-route policies, whose every request needs its route looked up.
  for (const scenario of ['allowed', 'refused', 'no-origin'] as const) {
    check('(8) per-route app: library vs enableCors', 'lib-3-per-route', 'enableCors-3', scenario, 1.0);
    check(
      '(8) Fastify, per-route app: library vs enableCors (@fastify/cors)',
      'fastify-lib-3-per-route',
      'fastify-enableCors-3',
      scenario,
      1.0,
    );
    check('(8) Fastify, per-route app: library within 1 % of the floor', 'fastify-lib-3-per-route', 'fastify-floor', scenario, 0.99);
  }
  check('(8) per-route app: preflight vs enableCors', 'lib-3-per-route', 'enableCors-3', 'preflight', 1.0);
  check(
    '(8) Fastify, per-route app: preflight vs enableCors (@fastify/cors)',
    'fastify-lib-3-per-route',
    'fastify-enableCors-3',
    'preflight',
    1.0,
  );
  // Issue 28: a loopback port rule among the origins costs what the exact list costs.
  for (const scenario of SCENARIOS)
    check("(9) 3 origins and 'http://localhost:*' vs 3 origins", 'lib-3-loopback', 'lib-3', scenario.name, 0.99);
  if (rows.length > 0) {
    out.push(
      table(
        ['target', 'variants', 'scenario', 'goal', 'instructions ratio', 'verdict', 'req/s ratio (min–max)', 'req/s verdict'],
        ['l', 'l', 'l', 'r', 'r', 'l', 'r', 'l'],
        rows,
      ),
      '',
    );
  }
  const find = (variant: VariantName, routes: number): StartupSummary | undefined =>
    startup.find((s) => s.variant === variant && s.routes === routes);
  const [few, many] = settings.startupRoutes.map((r) => r + 2);
  const pairs: Array<[string, StartupSummary | undefined, StartupSummary | undefined]> = [
    [
      `CorsModule 10,000 origins + ${many} routes vs CorsModule 3 origins + ${few} routes (as the issue words it; includes Nest's own cost of the extra routes)`,
      find('lib-10k', many),
      find('lib-3', few),
    ],
    [`CorsModule 10,000 vs 3 origins, both ${many} routes`, find('lib-10k', many), find('lib-3', many)],
    [`CorsModule 3 origins and 'http://localhost:*' vs 3 origins, both ${many} routes`, find('lib-3-loopback', many), find('lib-3', many)],
    [`CorsModule 10,000 origins vs no CORS, both ${many} routes (all the library adds)`, find('lib-10k', many), find('none', many)],
    [`for comparison: enableCors 10,000 origins vs no CORS, both ${many} routes`, find('enableCors-10k', many), find('none', many)],
  ];
  const startupRows = pairs
    .filter((p): p is [string, StartupSummary, StartupSummary] => p[1] !== undefined && p[2] !== undefined)
    .map(([what, a, b]) => {
      const dt = a.initMs - b.initMs;
      const dm = mib(a.rss - b.rss);
      return [what, fixed(dt, 1), fixed(dm, 1), fixed(mib(a.heap - b.heap), 1), dt <= 100 && dm <= 10 ? 'pass' : '**FAIL**'];
    });
  if (startupRows.length > 0) {
    out.push('(5) startup within 100 ms and RSS within 10 MiB:', '');
    out.push(table(['comparison', 'Δ init ms', 'Δ RSS MiB', 'Δ heap MiB', ''], ['l', 'r', 'r', 'r', 'l'], startupRows), '');
  }
  return out.join('\n');
}

const loadAverageAtStart = loadavg()[0];

function environment(): string {
  const version = (pkg: string): string => {
    try {
      return (JSON.parse(readFileSync(join(repoRoot, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'lib'], { cwd: repoRoot, encoding: 'utf8' }).trim() !== '';
    if (dirty) commit += ' (lib/ has uncommitted changes)';
  } catch {
    // not a git checkout
  }
  const cpu = cpus();
  return [
    `- Machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${osType()} ${release()}`,
    `- Node.js ${process.version}, @nestjs/core ${version('@nestjs/core')}, @nestjs/platform-express ${version('@nestjs/platform-express')}, express ${version('express')}, cors ${version('cors')}, @nestjs/platform-fastify ${version('@nestjs/platform-fastify')}, fastify ${version('fastify')}, @fastify/cors ${version('@fastify/cors')}, autocannon ${version('autocannon')}`,
    `- Commit ${commit}${quick ? '; **--quick** run (short measurements: indicative only)' : ''}`,
    `- Load average (1 min) at start ${loadAverageAtStart.toFixed(1)}, at end ${loadavg()[0].toFixed(1)}` +
      (Math.max(loadAverageAtStart, loadavg()[0]) > cpu.length * 0.75
        ? ' — **other processes were using the CPU: expect noise, prefer the CPU-per-request figures**'
        : ''),
    '- The load generator runs on the same machine and shares its CPU with the server: read the ratios, not the absolute numbers.',
  ].join('\n');
}

function today(): string {
  const now = new Date();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!existsSync(join(here, 'server.js'))) throw new Error('compile first: tsc -p bench/tsconfig.json');
  const started = Date.now();
  const variants =
    settings.only !== undefined
      ? VARIANTS.filter((v) => settings.only!.includes(v.name))
      : quick
        ? VARIANTS.filter((v) => !QUICK_SKIPPED_VARIANTS.includes(v.name))
        : VARIANTS;
  const sections: string[] = [`# nestjs-cors-policy benchmark, ${today()}`, ''];

  if (settings.profile !== undefined) {
    log(`CPU profiles: ${settings.profile}`);
    sections.push(environment(), '', '## CPU profiles of the server', '', await runProfiles(settings.profile));
    const file = settings.out ?? join(repoRoot, 'bench', 'results', 'profiles', `${today()}-profiles.md`);
    writeFileSync(file, sections.join('\n'));
    log(`\nSaved ${relative(repoRoot, file)}`);
    return;
  }

  let startup: StartupSummary[] = [];
  if (!settings.skipStartup) {
    log('Startup and memory...');
    startup = summariseStartup(await runStartup());
  }
  let micro: MicroRow[] = [];
  if (!settings.skipMicro) {
    log('Micro-benchmark...');
    micro = await runMicro();
  }
  let load: { results: LoadResults; counts: ResolverCounts[] } | undefined;
  if (!settings.skipLoad) {
    const perVariant = settings.warmupS + SCENARIOS.length * settings.durationS + 1.5;
    log(
      `Load: ${variants.length} variants × ${SCENARIOS.length} scenarios × ${settings.rounds} round(s), about ${Math.ceil((variants.length * settings.rounds * perVariant) / 60)} min...`,
    );
    load = await runLoad(variants);
  }
  // --quick proves that the count works, on two variants per platform.
  const instructionVariants =
    quick && settings.only === undefined ? variants.filter((v) => QUICK_INSTRUCTION_VARIANTS.includes(v.name)) : variants;
  let instructions: InstructionResults | undefined;
  const instructionsSkipped = settings.skipInstructions ? 'skipped (--skip-instructions)' : instructionCountUnavailable();
  if (instructionsSkipped === undefined && !settings.skipRequestInstructions) {
    const { batches, batchRequests } = settings.instructions;
    log(
      `Instructions per request: ${instructionVariants.length} variants under valgrind, ${batches} × ${batchRequests} requests per scenario...`,
    );
    instructions = await runInstructionCounts(
      instructionVariants,
      settings.instructions,
      join(here, 'server.js'),
      repoRoot,
      (child) => {
        children.add(child);
        child.once('exit', () => children.delete(child));
      },
      log,
    );
  } else if (process.env.CI === 'true' && !settings.skipInstructions) {
    throw new Error(`instruction counts: ${instructionsSkipped}`);
  }

  // WebSocket handshakes: Nest's adapters against this library's (bench/websockets.ts).
  let handshakes: string | undefined;
  if (!flag('skip-websockets')) {
    log('WebSocket handshakes...');
    const track = (child: ChildProcess) => {
      children.add(child);
      child.once('exit', () => children.delete(child));
    };
    const counting =
      instructionsSkipped === undefined
        ? {
            batches: quick ? 1 : 3,
            batchHandshakes: quick ? 20 : 100,
            warmup: quick ? 50 : 300,
            sources: quick ? (['io'] as const) : (['io', 'ws', 'raw', 'gql'] as const),
          }
        : undefined;
    const sources = (option('handshake-sources') ?? 'io,ws,raw,gql').split(',').map((name) => {
      if (!['io', 'ws', 'raw', 'gql'].includes(name.trim())) throw new Error(`--handshake-sources: unknown source ${name}`);
      return name.trim() as 'io' | 'ws' | 'raw' | 'gql';
    });
    handshakes = await runHandshakeBench(
      { rounds: settings.rounds, sources, durationMs: quick ? 1_000 : 3_000, concurrency: 8, instructions: counting, instructionsSkipped },
      join(here, 'websockets-server.js'),
      track,
      log,
    );
  }

  sections.push(environment(), '');
  if (problems.length > 0) {
    sections.push(
      '## ⚠ Behaviour problems',
      '',
      'A variant did not answer as the scenario assumes, so its figures time another path:',
      '',
      ...problems.map((p) => `- ${p}`),
      '',
    );
  }
  if (load !== undefined) sections.push(loadSection(variants, load.results, load.counts));
  if (instructions !== undefined) sections.push(instructionsSection(instructionVariants, instructions));
  else if (instructionsSkipped !== undefined && !settings.skipRequestInstructions)
    sections.push('## Instructions per request (callgrind)', '', `Not measured: ${instructionsSkipped}.`, '');
  if (handshakes !== undefined) sections.push(handshakes);
  if (micro.length > 0) sections.push(microSection(micro));
  if (startup.length > 0) sections.push(startupSection(startup));
  // Nothing to check against the HTTP targets when only the handshakes ran.
  if (!flag('only-websockets')) sections.push(checksSection(load?.results, instructions, startup));
  sections.push(`_Total run time ${((Date.now() - started) / 1000).toFixed(0)} s._`, '');

  const report = sections.join('\n');
  const file = settings.out ?? join(repoRoot, 'bench', 'results', `${today()}${quick ? '-quick' : ''}.md`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, report);
  process.stdout.write(`${report}\n`);
  log(`Saved ${relative(repoRoot, file)}`);
  if (problems.length > 0) process.exitCode = 1;
}

main()
  .catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  })
  .finally(killAll);
