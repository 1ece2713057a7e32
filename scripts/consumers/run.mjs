#!/usr/bin/env node
// Consumer test: packs the library as npm would publish it, installs the tarball into
// throwaway apps (NestJS 12 ESM, NestJS 12 CommonJS, NestJS 11 CommonJS under jest, each on
// Express; NestJS 12 ESM and NestJS 11 CommonJS under jest on Fastify) and runs each app's
// end-to-end test against it.
//
//   node scripts/consumers/run.mjs                    # build, pack, all consumers
//   node scripts/consumers/run.mjs nest12-cjs         # only the named consumers
//   CONSUMERS_SKIP_BUILD=1 node scripts/consumers/run.mjs   # use the dist/ already built
//   CONSUMERS_KEEP=1 node scripts/consumers/run.mjs   # keep the temporary apps to debug them
//
// Each consumer is scripts/consumers/<name>/ (package.json, tsconfigs, sources) plus the
// files of scripts/consumers/shared/ it lists below, copied into its src/. Exit code 1 when
// any consumer fails; the output of a failed step is printed.
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const keep = process.env.CONSUMERS_KEEP === '1';
const skipBuild = process.env.CONSUMERS_SKIP_BUILD === '1';

const consumers = [
  { name: 'nest12-esm', shared: ['app.module.ts', 'cases.ts', 'types-check.ts', 'e2e.node-test.ts'] },
  // nest12-cjs and nest11-cjs-jest also install the websocket packages and run the gateway check; the others have none of them.
  { name: 'nest12-cjs', shared: ['app.module.ts', 'cases.ts', 'types-check.ts', 'e2e.node-test.ts', 'gateways.node-test.ts'] },
  { name: 'nest11-cjs-jest', shared: ['app.module.ts', 'cases.ts', 'types-check.ts', 'gateways.node-test.ts'] },
  // The Fastify consumers install @nestjs/platform-fastify and not @nestjs/platform-express; the
  // shared cases run on a FastifyAdapter app, then those of fastify.app.ts.
  { name: 'nest12-fastify-esm', shared: ['app.module.ts', 'cases.ts', 'types-check.ts', 'fastify.app.ts', 'fastify.node-test.ts'] },
  { name: 'nest11-fastify-cjs-jest', shared: ['app.module.ts', 'cases.ts', 'types-check.ts', 'fastify.app.ts', 'fastify.e2e-spec.ts'] },
];

const INSTALL_TIMEOUT_MS = 5 * 60_000;
const TEST_TIMEOUT_MS = 3 * 60_000;

// `npm run test:consumers` exports the root package's npm_package_* / npm_lifecycle_* and
// prefix variables; the apps' own npm commands must not see them.
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(
    ([key]) =>
      !/^npm_(package|lifecycle)_/i.test(key) && !/^npm_config_(local_prefix|prefix|global_prefix)$/i.test(key) && key !== 'INIT_CWD',
  ),
);

const seconds = (ms) => `${(ms / 1000).toFixed(1)}s`;

/** Runs a command; resolves with its exit code, combined output and duration (never rejects). */
function run(command, args, cwd, timeoutMs) {
  return new Promise((done) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\n[consumers] timed out after ${seconds(timeoutMs)}, killing ${command}\n`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      output += `\n[consumers] could not start ${command}: ${error.message}\n`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ ok: code === 0, code: code ?? signal, output, stdout, ms: Date.now() - started });
    });
  });
}

function printFailure(title, result) {
  const lines = result.output.trimEnd().split('\n');
  const shown = lines.slice(-150);
  console.error(`\n----- ${title} failed (exit ${result.code}); last ${shown.length} of ${lines.length} lines -----`);
  console.error(shown.join('\n'));
  console.error(`----- end of ${title} -----\n`);
}

async function runConsumer(consumer, tarball, workRoot) {
  const dir = join(workRoot, consumer.name);
  await cp(join(here, consumer.name), dir, { recursive: true });
  await mkdir(join(dir, 'src'), { recursive: true });
  for (const file of consumer.shared) await cp(join(here, 'shared', file), join(dir, 'src', file));

  const steps = [];
  const install = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball],
    dir,
    INSTALL_TIMEOUT_MS,
  );
  steps.push(['install', install]);
  if (install.ok) {
    const test = await run('npm', ['test', '--silent'], dir, TEST_TIMEOUT_MS);
    steps.push(['test', test]);
  }
  const failed = steps.find(([, result]) => !result.ok);
  if (failed) printFailure(`${consumer.name}: ${failed[0]}`, failed[1]);
  else if (process.env.CONSUMERS_VERBOSE === '1') console.log(steps.at(-1)[1].output);
  return { name: consumer.name, ok: !failed, failedStep: failed?.[0], steps, dir };
}

async function main() {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !consumers.some((c) => c.name === name));
  if (unknown.length > 0) {
    console.error(`[consumers] unknown consumer(s): ${unknown.join(', ')}; known: ${consumers.map((c) => c.name).join(', ')}`);
    process.exit(2);
  }
  const selected = wanted.length > 0 ? consumers.filter((c) => wanted.includes(c.name)) : consumers;
  const started = Date.now();
  console.log(`[consumers] node ${process.version}, ${selected.map((c) => c.name).join(', ')}`);

  if (!skipBuild) {
    const build = await run('npm', ['run', 'build'], root, TEST_TIMEOUT_MS);
    if (!build.ok) {
      printFailure('npm run build', build);
      process.exit(1);
    }
    console.log(`[consumers] build            ${seconds(build.ms)}`);
  }

  const workRoot = await mkdtemp(join(tmpdir(), 'nestjs-cors-policy-consumers-'));
  let exitCode = 1;
  try {
    const pack = await run('npm', ['pack', '--json', '--pack-destination', workRoot], root, TEST_TIMEOUT_MS);
    if (!pack.ok) {
      printFailure('npm pack', pack);
      return;
    }
    // npm pack --json prints a JSON array on stdout; lifecycle scripts' output, if any, precedes it.
    const packed = JSON.parse(pack.stdout.slice(pack.stdout.indexOf('\n[') + 1 || 0))[0];
    const tarball = join(workRoot, packed.filename);
    const files = new Set(packed.files.map((f) => f.path));
    const required = [
      'package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cjs/index.js',
      'dist/cjs/index.d.ts',
      'dist/cjs/package.json',
      'dist/testing/index.js',
      'dist/testing/index.d.ts',
      'dist/cjs/testing/index.js',
      'dist/cjs/testing/index.d.ts',
    ];
    const missing = required.filter((f) => !files.has(f));
    console.log(
      `[consumers] pack             ${seconds(pack.ms)}  ${packed.filename}, ${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} kB`,
    );
    if (missing.length > 0) {
      console.error(`[consumers] the tarball lacks ${missing.join(', ')}`);
      return;
    }

    const results = [];
    for (const consumer of selected) {
      const result = await runConsumer(consumer, tarball, workRoot);
      results.push(result);
      const timings = result.steps.map(([step, r]) => `${step} ${seconds(r.ms)}`).join(', ');
      console.log(
        `[consumers] ${result.ok ? 'PASS' : 'FAIL'} ${result.name.padEnd(23)} ${timings}${result.ok ? '' : ` (${result.failedStep} failed)`}`,
      );
    }

    const failed = results.filter((r) => !r.ok);
    console.log(
      `[consumers] ${results.length - failed.length}/${results.length} passed in ${seconds(Date.now() - started)}` +
        (failed.length > 0 ? `; failed: ${failed.map((r) => r.name).join(', ')}` : ''),
    );
    exitCode = failed.length > 0 ? 1 : 0;
  } finally {
    if (keep) console.log(`[consumers] kept ${workRoot} (CONSUMERS_KEEP=1): ${(await readdir(workRoot)).join(', ')}`);
    else await rm(workRoot, { recursive: true, force: true });
    // In finally: an early return (pack failed) must still fail the run.
    process.exitCode = exitCode;
  }
}

main().catch(async (error) => {
  console.error(error);
  process.exitCode = 1;
});
