/**
 * Summarises a V8 `.cpuprofile` (written by `node --cpu-prof`): where the server's CPU time
 * goes, by area (this library, Nest, Express, Node internals, GC) and by function.
 *
 *   node dist-bench/bench/profile.js <file.cpuprofile> [top]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export function areaOf(frame: CallFrame): string {
  const url = frame.url;
  if (url === '') {
    if (frame.functionName === '(garbage collector)') return 'GC';
    if (frame.functionName === '(idle)') return 'idle';
    if (frame.functionName === '(program)') return 'V8 / native (program)';
    return 'native';
  }
  if (url.includes('/dist-bench/lib/')) return 'nestjs-cors-policy (lib/)';
  if (url.includes('/dist-bench/bench/')) return 'bench app';
  if (url.includes('/node_modules/@nestjs/')) return 'NestJS';
  if (
    /\/node_modules\/(express|router|body-parser|finalhandler|send|serve-static|path-to-regexp|on-finished|qs|type-is|content-type|raw-body|iconv-lite|debug|parseurl)\//.test(
      url,
    )
  )
    return 'Express & co.';
  if (url.includes('/node_modules/cors/') || url.includes('/node_modules/vary/') || url.includes('/node_modules/object-assign/'))
    return 'cors / vary packages';
  if (url.includes('/node_modules/')) return 'other packages';
  if (url.startsWith('node:')) return 'Node.js (http, net, streams...)';
  return 'other';
}

function label(frame: CallFrame): string {
  const file = frame.url.replace(/^file:\/\/.*?\/(node_modules|dist-bench)\//, '$1/').replace(/^node:/, 'node:');
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly busyMs: number;
  readonly areas: ReadonlyArray<{ area: string; selfMs: number; share: number }>;
  readonly selfTop: ReadonlyArray<{ fn: string; area: string; selfMs: number; share: number }>;
  /** Inclusive time of library functions (each sample counted once per function). */
  readonly libraryInclusive: ReadonlyArray<{ fn: string; totalMs: number; share: number }>;
}

export function summarize(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const self = new Map<string, { area: string; us: number }>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? 0; // the delta after a sample is the time spent in it
    const node = byId.get(profile.samples[i]);
    if (node === undefined) continue;
    total += delta;
    const area = areaOf(node.callFrame);
    if (area === 'idle') {
      idle += delta;
      continue;
    }
    areas.set(area, (areas.get(area) ?? 0) + delta);
    const key = label(node.callFrame);
    const entry = self.get(key) ?? { area, us: 0 };
    entry.us += delta;
    self.set(key, entry);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (areaOf(frame) !== 'nestjs-cors-policy (lib/)') continue;
      const fn = label(frame);
      if (seen.has(fn)) continue;
      seen.add(fn);
      inclusive.set(fn, (inclusive.get(fn) ?? 0) + delta);
    }
  }
  const busy = total - idle;
  const share = (us: number): number => (busy === 0 ? 0 : us / busy);
  return {
    totalMs: total / 1e3,
    busyMs: busy / 1e3,
    areas: [...areas].map(([area, us]) => ({ area, selfMs: us / 1e3, share: share(us) })).sort((a, b) => b.selfMs - a.selfMs),
    selfTop: [...self]
      .map(([fn, { area, us }]) => ({ fn, area, selfMs: us / 1e3, share: share(us) }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top),
    libraryInclusive: [...inclusive]
      .map(([fn, us]) => ({ fn, totalMs: us / 1e3, share: share(us) }))
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, top),
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

export function formatSummary(title: string, summary: ProfileSummary): string {
  const lines = [
    `### CPU profile: ${title}`,
    '',
    `Busy ${summary.busyMs.toFixed(0)} ms of ${summary.totalMs.toFixed(0)} ms sampled (shares below are of busy time).`,
    '',
    '| area | self ms | share |',
    '|---|---:|---:|',
    ...summary.areas.map((a) => `| ${a.area} | ${a.selfMs.toFixed(0)} | ${pct(a.share)} |`),
    '',
    '| function (self time) | area | self ms | share |',
    '|---|---|---:|---:|',
    ...summary.selfTop.map((f) => `| \`${f.fn}\` | ${f.area} | ${f.selfMs.toFixed(1)} | ${pct(f.share)} |`),
    '',
    '| library function (inclusive time) | total ms | share |',
    '|---|---:|---:|',
    ...summary.libraryInclusive.map((f) => `| \`${f.fn}\` | ${f.totalMs.toFixed(1)} | ${pct(f.share)} |`),
    '',
  ];
  return lines.join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top] = process.argv.slice(2);
  if (file === undefined) {
    console.error('usage: profile.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  console.log(formatSummary(file, summarize(profile, Number(top ?? 25))));
}
