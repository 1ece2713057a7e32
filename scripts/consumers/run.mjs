#!/usr/bin/env node
// Consumer test: packs the library as npm would publish it, installs the tarball into
// throwaway apps (NestJS 12 ESM, NestJS 12 CommonJS, NestJS 11 CommonJS under jest, each on
// Express; NestJS 12 ESM and NestJS 11 CommonJS under jest on Fastify; NestJS 12 ESM under jest
// with the README's recipe on both, freshly resolved) and runs each app's end-to-end test against it.
//
//   node scripts/consumers/run.mjs                    # build, pack, all consumers
//   node scripts/consumers/run.mjs nest12-cjs         # only the named consumers
//   CONSUMERS_SKIP_BUILD=1 node scripts/consumers/run.mjs   # use the dist/ already built
//   CONSUMERS_KEEP=1 node scripts/consumers/run.mjs   # keep the temporary apps to debug them
//   node scripts/consumers/run.mjs clean-clone        # only the clean-clone packing check
//
// First, the clean-clone check: `git clone` of this repository's HEAD, `npm ci --ignore-scripts`
// (nothing built), `npm pack`: the package's `prepare` script must build dist/ by itself.
//
// Each consumer is scripts/consumers/<name>/ (package.json, tsconfigs, sources) plus the
// files of scripts/consumers/shared/ it lists below, copied into its src/, and the README
// blocks it lists (marked `<!-- consumers: <file> ... -->` in README.md), written as they are. Exit code 1 when
// any consumer fails; the output of a failed step is printed.
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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
  // The README's jest recipe in a NestJS 12 ESM app, dependencies resolved afresh from the registry
  // (no lockfile, --prefer-online): its jest.config.js and testing block as written, the block on
  // Express, and on Fastify with the one line the README gives for it.
  {
    name: 'nest12-jest',
    shared: [],
    fresh: true,
    readme: {
      'jest.config.js': ['jest.config.js', (code) => code],
      'src/orders.e2e-spec.ts': ['src/orders.e2e-spec.ts', (code) => code],
      'src/orders.fastify.e2e-spec.ts': ['src/orders.e2e-spec.ts', onFastify],
    },
  },
];

/** The README's code block after `<!-- consumers: <file>`: what a consumer runs as written. */
function readmeBlock(readme, file) {
  const marker = readme.indexOf(`<!-- consumers: ${file} `);
  const start = marker === -1 ? -1 : readme.indexOf('```', marker);
  const body = start === -1 ? -1 : readme.indexOf('\n', start) + 1;
  const end = start === -1 ? -1 : readme.indexOf('\n```\n', body);
  if (end === -1) throw new Error(`README.md has no \`<!-- consumers: ${file}\` block`);
  return readme.slice(body, end + 1);
}

/** The README's jest block on Fastify: the app created as the README says under it. */
function onFastify(code) {
  const express = 'moduleRef.createNestApplication()';
  if (!code.includes(express)) throw new Error(`the README's jest block no longer creates its app with ${express}`);
  return (
    "import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';\n" +
    code.replace(express, 'moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter())')
  );
}

/** Not a consumer: the packing check of a fresh clone, run first (selectable by this name). */
const CLEAN_CLONE = 'clean-clone';

/** What the tarball must hold, whoever packed it. */
const REQUIRED_FILES = [
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

/** `npm pack --json` in `dir`; returns the tarball's path, or undefined after printing why not. */
async function pack(dir, destination, label, extraArgs = []) {
  const packing = await run('npm', ['pack', '--json', '--pack-destination', destination, ...extraArgs], dir, TEST_TIMEOUT_MS);
  if (!packing.ok) {
    printFailure(label, packing);
    return undefined;
  }
  // npm pack --json prints a JSON array on stdout; lifecycle scripts' output, if any, precedes it.
  const packed = JSON.parse(packing.stdout.slice(packing.stdout.indexOf('\n[') + 1 || 0))[0];
  const files = new Set(packed.files.map((f) => f.path));
  const missing = REQUIRED_FILES.filter((f) => !files.has(f));
  console.log(
    `[consumers] ${label.padEnd(16)} ${seconds(packing.ms)}  ${packed.filename}, ${packed.entryCount} files, ${(packed.size / 1024).toFixed(0)} kB`,
  );
  if (missing.length > 0) {
    console.error(`[consumers] the tarball of ${label} lacks ${missing.join(', ')}`);
    return undefined;
  }
  return join(destination, packed.filename);
}

/** A fresh clone of HEAD, its dependencies installed without running any script, packed: dist/ must be in it. */
async function packCleanClone(workRoot) {
  const clone = join(workRoot, 'clean-clone');
  const steps = [
    ['git clone', 'git', ['clone', '--quiet', root, clone], workRoot],
    ['npm ci', 'npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], clone],
  ];
  for (const [label, command, args, cwd] of steps) {
    const result = await run(command, args, cwd, INSTALL_TIMEOUT_MS);
    if (!result.ok) {
      printFailure(`clean clone: ${label}`, result);
      return false;
    }
    console.log(`[consumers] clean clone: ${label.padEnd(9)} ${seconds(result.ms)}`);
  }
  const tarball = await pack(clone, workRoot, 'clean-clone pack');
  await rm(clone, { recursive: true, force: true });
  return tarball !== undefined;
}

async function runConsumer(consumer, tarball, workRoot) {
  const dir = join(workRoot, consumer.name);
  await cp(join(here, consumer.name), dir, { recursive: true });
  await mkdir(join(dir, 'src'), { recursive: true });
  for (const file of consumer.shared) await cp(join(here, 'shared', file), join(dir, 'src', file));
  if (consumer.readme !== undefined) {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    for (const [file, [block, adapt]] of Object.entries(consumer.readme)) {
      await writeFile(join(dir, file), adapt(readmeBlock(readme, block)));
    }
  }

  const steps = [];
  // A fresh consumer asks the registry for the newest matching versions instead of npm's cache.
  const cachePreference = consumer.fresh ? '--prefer-online' : '--prefer-offline';
  const install = await run(
    'npm',
    ['install', '--no-audit', '--no-fund', cachePreference, '--loglevel=error', tarball],
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
  const unknown = wanted.filter((name) => name !== CLEAN_CLONE && !consumers.some((c) => c.name === name));
  if (unknown.length > 0) {
    console.error(
      `[consumers] unknown consumer(s): ${unknown.join(', ')}; known: ${[CLEAN_CLONE, ...consumers.map((c) => c.name)].join(', ')}`,
    );
    process.exit(2);
  }
  const selected = wanted.length > 0 ? consumers.filter((c) => wanted.includes(c.name)) : consumers;
  const cleanClone = wanted.length === 0 || wanted.includes(CLEAN_CLONE);
  const started = Date.now();
  console.log(`[consumers] node ${process.version}, ${[...(cleanClone ? [CLEAN_CLONE] : []), ...selected.map((c) => c.name)].join(', ')}`);

  if (!skipBuild && selected.length > 0) {
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
    if (cleanClone && !(await packCleanClone(workRoot))) return;
    if (selected.length === 0) {
      console.log(`[consumers] PASS ${CLEAN_CLONE}: npm pack built dist/ by itself`);
      exitCode = 0;
      return;
    }
    // dist/ was just built (or CONSUMERS_SKIP_BUILD=1 says it is): no second build by `prepare`.
    const tarball = await pack(root, workRoot, 'pack', ['--ignore-scripts']);
    if (tarball === undefined) return;

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
