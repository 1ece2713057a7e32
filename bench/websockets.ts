/**
 * The cost of the handshake check (issue 16): Nest's `IoAdapter` and `WsAdapter` against
 * `CorsIoAdapter` and `CorsWsAdapter` on the same gateway app and policy (20 listed origins,
 * the client's among them), in handshakes/s under load and in instructions per handshake
 * (valgrind's callgrind, as for requests in bench/instructions.ts). And the cost of the upgrade
 * gate (issue 25), per source: the same apps without CorsModule, and a raw `ws` server on the
 * app's HTTP server without and with it.
 *
 * A socket.io handshake here is the websocket transport's upgrade, engine.io's open packet and
 * the socket.io CONNECT of the root namespace (where the namespace check runs); a `ws`
 * handshake is the upgrade. Each server runs in its own child process (bench/websockets-server.ts).
 */
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { readDump } from './instructions.js';
import { BENCH_ORIGIN, HANDSHAKE_VARIANTS, RAW_PATH, sourceOf, type HandshakeSource, type HandshakeVariant } from './websockets-server.js';

export interface HandshakeBenchSettings {
  readonly rounds: number;
  /** The upgrade sources whose variants run (`--handshake-sources`). */
  readonly sources: readonly HandshakeSource[];
  readonly durationMs: number;
  /** Clients handshaking at once during the load runs. */
  readonly concurrency: number;
  /** `undefined`: instructions are not counted (why is in `instructionsSkipped`). */
  readonly instructions:
    | {
        readonly batches: number;
        readonly batchHandshakes: number;
        readonly warmup: number;
        /** Whose variants are counted (`--quick` proves the count on socket.io's alone). */
        readonly sources: readonly HandshakeSource[];
      }
    | undefined;
  readonly instructionsSkipped: string | undefined;
}

const LABELS: Readonly<Record<HandshakeVariant, string>> = {
  'io-bare': 'IoAdapter (Nest), no CorsModule',
  io: 'IoAdapter (Nest)',
  'cors-io': 'CorsIoAdapter',
  'ws-bare': 'WsAdapter (Nest), no CorsModule',
  ws: 'WsAdapter (Nest)',
  'cors-ws': 'CorsWsAdapter',
  'raw-bare': 'raw ws server, no CorsModule',
  'raw-gated': 'raw ws server',
  'gql-bare': 'Apollo graphql-ws, no CorsModule',
  'gql-gated': 'Apollo graphql-ws',
};

const SOURCES: Readonly<Record<HandshakeSource, string>> = {
  io: 'socket.io',
  ws: '@nestjs/platform-ws',
  raw: 'raw `ws` server',
  gql: 'graphql-ws (Apollo)',
};
const BARE: Readonly<Record<HandshakeSource, HandshakeVariant>> = { io: 'io-bare', ws: 'ws-bare', raw: 'raw-bare', gql: 'gql-bare' };
const PATHS: Readonly<Record<HandshakeSource, string>> = {
  io: '/socket.io/?EIO=4&transport=websocket',
  ws: '/events',
  raw: RAW_PATH,
  gql: '/graphql',
};

/** What the row adds over the source's variant without CorsModule. */
const ADDS: Readonly<Record<HandshakeVariant, string>> = {
  'io-bare': '—',
  io: 'the gate',
  'cors-io': 'the gate + adapter check',
  'ws-bare': '—',
  ws: 'the gate',
  'cors-ws': 'the gate + adapter check',
  'raw-bare': '—',
  'raw-gated': 'the gate',
  'gql-bare': '—',
  'gql-gated': 'the gate',
};

/** One handshake, completed: resolves once the gateway could talk to the client. */
function handshake(port: number, variant: HandshakeVariant): Promise<void> {
  const source = sourceOf(variant);
  const io = source === 'io';
  const url = `ws://127.0.0.1:${port}${PATHS[source]}`;
  const socket =
    source === 'gql' ? new WebSocket(url, 'graphql-transport-ws', { origin: BENCH_ORIGIN }) : new WebSocket(url, { origin: BENCH_ORIGIN });
  return new Promise((resolve, reject) => {
    const done = () => {
      socket.terminate();
      resolve();
    };
    socket.once('unexpected-response', (_request, response) => reject(new Error(`${variant}: handshake refused (${response.statusCode})`)));
    socket.once('error', reject);
    if (source === 'gql') {
      // graphql-ws: the upgrade, then connection_init answered by connection_ack.
      socket.once('open', () => socket.send('{"type":"connection_init"}'));
      return socket.on('message', (data: Buffer) => {
        if (data.toString().includes('"connection_ack"')) done();
      });
    }
    if (!io) return socket.once('open', done);
    socket.on('message', (data: Buffer) => {
      const packet = data.toString();
      if (packet.startsWith('0'))
        socket.send('40'); // engine.io open, then socket.io CONNECT to "/"
      else if (packet.startsWith('40')) done();
    });
  });
}

function startServer(script: string, variant: HandshakeVariant, track: (child: ChildProcess) => void, valgrindDir?: string) {
  const child = fork(script, [variant], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
    ...(valgrindDir === undefined
      ? {}
      : {
          execPath: 'valgrind',
          execArgv: [
            '--quiet',
            '--tool=callgrind',
            '--instr-atstart=no',
            `--callgrind-out-file=${join(valgrindDir, 'callgrind.out')}`,
            process.execPath,
            '--single-threaded',
            '--predictable-gc-schedule',
            '--hash-seed=1',
            '--random-seed=1',
          ],
        }),
  });
  track(child);
  const port = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${variant} did not start within 5 min`)), 300_000);
    child.on('message', (message: { type: string; port?: number; message?: string }) => {
      clearTimeout(timer);
      if (message.type === 'ready' && message.port !== undefined) resolve(message.port);
      else reject(new Error(`${variant} failed to start:\n${message.message ?? ''}`));
    });
    child.once('exit', (code) => reject(new Error(`${variant} exited (code ${code})`)));
  });
  return { child, port };
}

/** Handshakes/s of one variant: `concurrency` clients, each handshaking again as soon as it is done. */
async function measureLoad(port: number, variant: HandshakeVariant, durationMs: number, concurrency: number): Promise<number> {
  for (let i = 0; i < 100; i++) await handshake(port, variant); // warm-up
  let count = 0;
  const started = performance.now();
  const client = async () => {
    while (performance.now() - started < durationMs) {
      await handshake(port, variant);
      count++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return count / ((performance.now() - started) / 1000);
}

function tool(name: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => execFile(name, args, (error) => (error ? reject(error) : resolve())));
}

/** Instructions per handshake (GC and optimising compiler left out), lowest batch. */
async function countInstructions(
  script: string,
  variant: HandshakeVariant,
  settings: NonNullable<HandshakeBenchSettings['instructions']>,
  track: (child: ChildProcess) => void,
): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), `cors-bench-handshake-${variant}-`));
  const { child, port: ready } = startServer(script, variant, track, dir);
  try {
    const port = await ready;
    const pid = String(child.pid);
    for (let i = 0; i < settings.warmup; i++) await handshake(port, variant);
    await tool('callgrind_control', ['--instr=on', pid]);
    for (let batch = 0; batch < settings.batches; batch++) {
      await tool('callgrind_control', ['--zero', pid]);
      for (let i = 0; i < settings.batchHandshakes; i++) await handshake(port, variant);
      await tool('callgrind_control', [`--dump=batch-${batch + 1}`, pid]);
    }
    child.kill('SIGKILL');
    const files = readdirSync(dir).filter((name) => /^callgrind\.out\.\d+$/.test(name));
    if (files.length !== settings.batches) throw new Error(`${variant}: ${files.length} callgrind dumps, expected ${settings.batches}`);
    const perHandshake: number[] = [];
    for (const name of files) {
      const file = join(dir, name);
      if (!/dump batch-\d+\n/.test(readFileSync(file, 'utf8'))) throw new Error(`${file} is not a batch dump`);
      const { total, gcAndCompiler } = await readDump(file);
      perHandshake.push((total - gcAndCompiler) / settings.batchHandshakes);
    }
    return Math.min(...perHandshake);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the handshake benchmark and returns its report section (markdown). */
export async function runHandshakeBench(
  settings: HandshakeBenchSettings,
  script: string,
  track: (child: ChildProcess) => void,
  log: (message: string) => void,
): Promise<string> {
  const variants = HANDSHAKE_VARIANTS.filter((variant) => settings.sources.includes(sourceOf(variant)));
  const rates = new Map<HandshakeVariant, number[]>(variants.map((variant) => [variant, []]));
  for (let round = 0; round < settings.rounds; round++) {
    // Every other round in reverse order, so that neither variant of a pair always goes first.
    for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
      const { child, port } = startServer(script, variant, track);
      try {
        const rate = await measureLoad(await port, variant, settings.durationMs, settings.concurrency);
        rates.get(variant)!.push(rate);
        log(`  round ${round + 1} ${variant.padEnd(8)} ${Math.round(rate)} handshakes/s`);
      } finally {
        child.kill('SIGKILL');
      }
    }
  }
  const instructions = new Map<HandshakeVariant, number>();
  if (settings.instructions !== undefined) {
    const counting = settings.instructions;
    // Two servers under valgrind at once: one per core.
    const queue = variants.filter((variant) => counting.sources.includes(sourceOf(variant)));
    const worker = async () => {
      for (let variant = queue.shift(); variant !== undefined; variant = queue.shift()) {
        instructions.set(variant, await countInstructions(script, variant, counting, track));
        log(`  ${variant.padEnd(9)} ${Math.round(instructions.get(variant)!)} instructions/handshake`);
      }
    };
    await Promise.all([worker(), worker()]);
  }
  const median = (values: readonly number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  };
  const count = (value: number) => Math.round(value).toLocaleString('en');
  const gateRows = variants.map((variant) => {
    const source = sourceOf(variant);
    const [bare, counted] = [instructions.get(BARE[source]), instructions.get(variant)];
    const added =
      bare === undefined || counted === undefined
        ? 'n/a'
        : variant === BARE[source]
          ? '—'
          : `${count(counted - bare)} (${(((counted - bare) / bare) * 100).toFixed(1)} %), ×${(counted / bare).toFixed(3)}`;
    const cells = [SOURCES[source], LABELS[variant], `\`${variant}\``, variant === BARE[source] ? 'no' : 'yes', ADDS[variant]];
    return `| ${cells.join(' | ')} | ${Math.round(median(rates.get(variant)!))} | ${counted === undefined ? 'n/a' : count(counted)} | ${added} |`;
  });
  const rows = (['io', 'ws'] as const)
    .filter((base) => settings.sources.includes(base))
    .map((base) => {
      const checked = base === 'io' ? 'cors-io' : 'cors-ws';
      const [plain, cors] = [median(rates.get(base)!), median(rates.get(checked)!)];
      const [plainInstructions, corsInstructions] = [instructions.get(base), instructions.get(checked)];
      const counted =
        plainInstructions === undefined || corsInstructions === undefined
          ? ['n/a', 'n/a', 'n/a']
          : [
              Math.round(plainInstructions).toLocaleString('en'),
              Math.round(corsInstructions).toLocaleString('en'),
              `${Math.round(corsInstructions - plainInstructions).toLocaleString('en')} (${(((corsInstructions - plainInstructions) / plainInstructions) * 100).toFixed(1)} %)`,
            ];
      return `| ${LABELS[base]} → ${LABELS[checked]} | ${Math.round(plain)} | ${Math.round(cors)} | ${(cors / plain).toFixed(2)} | ${counted.join(' | ')} |`;
    });
  return [
    '## WebSocket handshakes (CorsIoAdapter, CorsWsAdapter, the upgrade gate)',
    '',
    `Nest's adapter against the same adapter with the CORS check, same gateway app and policy (20 listed origins, the client's among them); ` +
      `${settings.concurrency} clients handshaking in a loop for ${settings.durationMs / 1000} s, median of ${settings.rounds} round(s). ` +
      'A socket.io handshake: websocket upgrade, engine.io open packet, CONNECT of "/"; a ws handshake: the upgrade; a graphql-ws one: the upgrade, connection_init, connection_ack.',
    '',
    // Without io and ws among the sources there is no adapter pair to compare.
    ...(rows.length === 0
      ? []
      : [
          '| adapter | handshakes/s without the check | with the check | ratio | instructions/handshake without | with | added by the check |',
          '|---|---:|---:|---:|---:|---:|---:|',
          ...rows,
          '',
        ]),
    '### The upgrade gate, per source',
    '',
    'Importing CorsModule installs the upgrade gate on the HTTP server: it judges every `upgrade` before any listener sees it. ' +
      "Each source without CorsModule (no gate), with it and Nest's adapter (the gate alone), with it and this library's adapter; " +
      `the raw server is \`new WebSocketServer({ server: app.getHttpServer(), path: '${RAW_PATH}' })\`, handshake = the upgrade.`,
    '',
    '| source | server | variant | CorsModule | adds | handshakes/s | instructions/handshake | added over no CorsModule, ratio |',
    '|---|---|---|---|---|---:|---:|---:|',
    ...gateRows,
    '',
    settings.instructions === undefined
      ? `Instructions not counted: ${settings.instructionsSkipped ?? 'skipped'}.`
      : `Instructions: callgrind, lowest of ${settings.instructions.batches} batch(es) of ${settings.instructions.batchHandshakes} sequential handshakes, GC and optimising compiler left out. ` +
        'On a shared machine handshakes/s move by tens of per cent from one run to the next (the client shares the CPU too): the instruction counts decide.',
    '',
  ].join('\n');
}
