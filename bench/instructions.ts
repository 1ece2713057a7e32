/**
 * Instructions per request, counted by valgrind's callgrind: the figure that decides a few per
 * cent on a shared machine, where requests/s move by 10–40 % from one round to the next.
 *
 * Each variant's server (bench/server.ts) runs under `valgrind --tool=callgrind` with
 * instrumentation off while it starts and warms up, then on for the measured batches. A batch
 * is `batchRequests` identical requests sent one after the other on one keep-alive connection;
 * `callgrind_control --dump` after each batch gives its instruction count. Instructions do not
 * depend on what else the machine is doing, so two variants run at once (one per core).
 *
 * What is counted: every instruction the server process executes for the batch (Node's HTTP
 * parser, Express, Nest, the handler, CORS, writing the response), minus the instructions of
 * V8's garbage collector and optimising compiler. Those two come in lumps (one batch in two
 * holds a major GC worth 20–50 % of it), so they would decide the figure by where they fall;
 * leaving them out measures the code each request runs. The report keeps the totals too.
 */
import { execFile, execFileSync, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCENARIOS, type ChildMessage, type Scenario, type ScenarioName, type VariantName, type VariantSpec } from './shared.js';

export interface InstructionSettings {
  /** Batches per scenario (the figure is the lowest: the batch least disturbed by leftovers). */
  readonly batches: number;
  readonly batchRequests: number;
  /** Requests per scenario with instrumentation off, before the first batch. */
  readonly warmupRequests: number;
  /** Servers under valgrind at once. */
  readonly parallel: number;
  /**
   * Processes per variant, their batches pooled: now and then a process settles where every
   * request costs a third more (seen on Fastify, the floor included), and one more process
   * keeps that state out of the lowest batch.
   */
  readonly processes: number;
  readonly routes: number;
}

export interface InstructionCounts {
  readonly variant: VariantName;
  readonly scenario: ScenarioName;
  /** Per batch: instructions per request without GC and optimising compiler. */
  readonly perRequest: readonly number[];
  /** Per batch: every instruction per request. */
  readonly totalPerRequest: readonly number[];
}

export type InstructionResults = Map<VariantName, Map<ScenarioName, InstructionCounts>>;

/**
 * V8's garbage collector and optimising compiler, by symbol: their self cost is left out.
 * A few helpers they share with ordinary code stay counted (well under 1 % of a request).
 */
const GC_AND_COMPILER =
  /v8::internal::(?:compiler::|maglev::|baseline::|Heap::|Heap[A-Z]|Scaveng|Sweeper|MarkCompact|Mark[A-Za-z]*Visitor|MarkingBarrier|MarkingWorklist|IncrementalMarking|ConcurrentMarking|MinorGC|MinorMarkCompact|WriteBarrier|heap_internals|Compiler::|Pipeline|OptimizedCompilation|Evacuat|GCTracer|RememberedSet|SlotSet|TypedSlot|MemoryAllocator|PagedSpace|NewSpace|SemiSpace|LargeObjectSpace|FreeList|Page::|MemoryChunk|EphemeronHashTable|BodyDescriptor|[A-Za-z]*Visitor)|heap::base::|cppgc::/;

/** Why the count cannot run here, or `undefined` when it can. */
export function instructionCountUnavailable(): string | undefined {
  for (const tool of ['valgrind', 'callgrind_control', 'callgrind_annotate']) {
    try {
      execFileSync(tool, ['--help'], { stdio: 'ignore' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return `${tool} is not installed (Debian: apt-get install -y valgrind)`;
    }
  }
  return undefined;
}

function run(tool: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) =>
    execFile(tool, args, { maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`${tool} ${args.join(' ')}: ${error.message}\n${stderr}`)) : resolvePromise(stdout),
    ),
  );
}

/** Sends `count` requests of `scenario`, one after the other on one keep-alive connection. */
async function sendSequentially(port: number, scenario: Scenario, count: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < count; i++) {
      await new Promise<void>((resolvePromise, reject) => {
        const req = request(
          { host: '127.0.0.1', port, method: scenario.method, path: scenario.path, headers: scenario.headers, agent },
          (res) => {
            res.resume();
            res.on('end', resolvePromise);
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end();
      });
    }
  } finally {
    agent.destroy();
  }
}

export interface DumpTotals {
  readonly total: number;
  readonly gcAndCompiler: number;
}

/** Self cost of every function in a callgrind dump, summed: all, and GC + optimising compiler. */
export async function readDump(file: string): Promise<DumpTotals> {
  const annotated = await run('callgrind_annotate', ['--threshold=100', '--inclusive=no', file]);
  let total = 0;
  let gcAndCompiler = 0;
  let inFunctions = false;
  for (const line of annotated.split('\n')) {
    if (line.includes('file:function')) {
      inFunctions = true;
      continue;
    }
    const match = inFunctions ? /^\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(.*)$/.exec(line) : null;
    if (match === null) continue;
    const cost = Number(match[1].replaceAll(',', ''));
    total += cost;
    if (GC_AND_COMPILER.test(match[2])) gcAndCompiler += cost;
  }
  if (total === 0) throw new Error(`no costs in ${file}`);
  return { total, gcAndCompiler };
}

/** One variant under callgrind: start, warm up, count every scenario's batches, stop. */
async function countVariant(
  variant: VariantSpec,
  settings: InstructionSettings,
  serverScript: string,
  cwd: string,
  track: (child: ChildProcess) => void,
): Promise<Map<ScenarioName, InstructionCounts>> {
  const dir = mkdtempSync(join(tmpdir(), `cors-bench-callgrind-${variant.name}-`));
  const child = fork(serverScript, ['serve', variant.name, String(settings.routes)], {
    cwd,
    execPath: 'valgrind',
    execArgv: [
      '--quiet',
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${join(dir, 'callgrind.out')}`,
      process.execPath,
      // Everything on the main thread, a GC schedule that does not follow the clock, and the
      // same hash and random seeds in every process.
      '--single-threaded',
      '--predictable-gc-schedule',
      '--hash-seed=1',
      '--random-seed=1',
    ],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  track(child);
  try {
    const port = await new Promise<number>((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`${variant.name} did not start under valgrind within 5 min`)), 300_000);
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolvePromise(message.port);
        } else if (message.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`${variant.name} failed under valgrind:\n${message.message}`));
        }
      });
      child.once('exit', (code) => reject(new Error(`${variant.name} exited under valgrind (code ${code})`)));
    });
    const pid = String(child.pid);
    for (const scenario of SCENARIOS) await sendSequentially(port, scenario, settings.warmupRequests);
    await run('callgrind_control', ['--instr=on', pid]);

    const dumps: Array<{ scenario: ScenarioName; label: string }> = [];
    for (const scenario of SCENARIOS) {
      // The code was last tuned for another scenario: serve this one a while before counting it.
      // Without this, the third scenario (refused) counted 2-3 % above its steady state on
      // Fastify, in the library and in @fastify/cors alike (bench/results/2026-12-07-fastify.md).
      await run('callgrind_control', ['--instr=off', pid]);
      await sendSequentially(port, scenario, Math.ceil(settings.warmupRequests / 5));
      await run('callgrind_control', ['--instr=on', pid]);
      for (let batch = 0; batch < settings.batches; batch++) {
        await run('callgrind_control', ['--zero', pid]);
        await sendSequentially(port, scenario, settings.batchRequests);
        const label = `${scenario.name}-${batch + 1}`;
        await run('callgrind_control', [`--dump=${label}`, pid]);
        dumps.push({ scenario: scenario.name, label });
      }
    }
    child.kill('SIGKILL');

    // Dump files are numbered in order; each names its trigger, which is checked.
    const files = readdirSync(dir)
      .filter((name) => /^callgrind\.out\.\d+$/.test(name))
      .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
    if (files.length !== dumps.length) throw new Error(`${variant.name}: ${files.length} callgrind dumps, expected ${dumps.length}`);
    const results = new Map<ScenarioName, { perRequest: number[]; totalPerRequest: number[] }>();
    for (const [i, { scenario, label }] of dumps.entries()) {
      const file = join(dir, files[i]);
      if (!readFileSync(file, 'utf8').includes(`dump ${label}\n`)) throw new Error(`${file} is not the dump "${label}"`);
      const { total, gcAndCompiler } = await readDump(file);
      const entry = results.get(scenario) ?? { perRequest: [], totalPerRequest: [] };
      entry.perRequest.push((total - gcAndCompiler) / settings.batchRequests);
      entry.totalPerRequest.push(total / settings.batchRequests);
      results.set(scenario, entry);
    }
    return new Map([...results].map(([scenario, counts]) => [scenario, { variant: variant.name, scenario, ...counts }]));
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Counts every variant, `settings.parallel` at a time. */
export async function runInstructionCounts(
  variants: readonly VariantSpec[],
  settings: InstructionSettings,
  serverScript: string,
  cwd: string,
  track: (child: ChildProcess) => void,
  log: (message: string) => void,
): Promise<InstructionResults> {
  const results: InstructionResults = new Map();
  const queue = variants.flatMap((variant) => Array.from({ length: Math.max(1, settings.processes) }, () => variant));
  const worker = async (): Promise<void> => {
    for (let variant = queue.shift(); variant !== undefined; variant = queue.shift()) {
      const started = Date.now();
      const counts = await countVariant(variant, settings, serverScript, cwd, track);
      results.set(variant.name, pooled(results.get(variant.name), counts));
      const line = SCENARIOS.map((s) => `${s.name} ${Math.round(lowest(counts.get(s.name)!.perRequest))}`).join(', ');
      log(`  ${variant.name.padEnd(23)} ${line} instructions/request (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, settings.parallel) }, worker));
  return new Map(variants.filter((v) => results.has(v.name)).map((v) => [v.name, results.get(v.name)!]));
}

/** The batches of one more process of a variant, added to those of the processes before. */
function pooled(
  before: Map<ScenarioName, InstructionCounts> | undefined,
  counts: Map<ScenarioName, InstructionCounts>,
): Map<ScenarioName, InstructionCounts> {
  if (before === undefined) return counts;
  const merged = new Map<ScenarioName, InstructionCounts>();
  for (const [scenario, mine] of counts) {
    const earlier = before.get(scenario);
    merged.set(
      scenario,
      earlier === undefined
        ? mine
        : {
            ...mine,
            perRequest: [...earlier.perRequest, ...mine.perRequest],
            totalPerRequest: [...earlier.totalPerRequest, ...mine.totalPerRequest],
          },
    );
  }
  return merged;
}

export const lowest = (values: readonly number[]): number => Math.min(...values);

/**
 * How many times as many requests the variant serves as `base` for the same CPU work: base's
 * instructions per request ÷ the variant's (the same scale as a requests/s ratio).
 */
export function instructionRatio(
  results: InstructionResults,
  variant: VariantName,
  base: VariantName,
  scenario: ScenarioName,
): number | undefined {
  const a = results.get(variant)?.get(scenario);
  const b = results.get(base)?.get(scenario);
  return a === undefined || b === undefined ? undefined : lowest(b.perRequest) / lowest(a.perRequest);
}
