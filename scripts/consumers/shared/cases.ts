// What every consumer checks, as data: each harness (node:test, jest) sends these requests
// to its app and fails on any mismatch returned by `mismatches`.

export interface CorsCase {
  name: string;
  method: 'GET' | 'PATCH' | 'OPTIONS';
  path: string;
  headers: Record<string, string>;
  status: number;
  /** Expected response headers (lower-case names); `null` means the header must be absent. */
  expect: Record<string, string | null>;
  /** Substrings the Vary header must contain. */
  vary?: string[];
}

const A = 'https://a.example.com';
const DB = 'https://db.example.com';
const EVIL = 'https://evil.example.net';

export const cases: CorsCase[] = [
  {
    name: 'controller policy: actual GET from an allowed origin gets ACAO and credentials',
    method: 'GET',
    path: '/orders',
    headers: { origin: A },
    status: 200,
    expect: { 'access-control-allow-origin': A, 'access-control-allow-credentials': 'true' },
    vary: ['Origin'],
  },
  {
    name: 'handler policy: preflight for PATCH gets 204 and Allow-Methods PATCH only',
    method: 'OPTIONS',
    path: '/orders/42',
    headers: { origin: A, 'access-control-request-method': 'PATCH' },
    status: 204,
    expect: {
      'access-control-allow-origin': A,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'PATCH',
    },
  },
  {
    name: 'handler policy: actual PATCH from an allowed origin gets ACAO',
    method: 'PATCH',
    path: '/orders/42',
    headers: { origin: A },
    status: 200,
    expect: { 'access-control-allow-origin': A, 'access-control-allow-credentials': 'true' },
  },
  {
    name: 'controller policy: a refused origin gets no CORS header',
    method: 'GET',
    path: '/orders',
    headers: { origin: EVIL },
    status: 200,
    expect: { 'access-control-allow-origin': null, 'access-control-allow-credentials': null },
    vary: ['Origin'],
  },
  {
    name: 'handler policy: a refused preflight gets no Allow-* header',
    method: 'OPTIONS',
    path: '/orders/42',
    headers: { origin: EVIL, 'access-control-request-method': 'PATCH' },
    status: 204,
    expect: { 'access-control-allow-origin': null, 'access-control-allow-methods': null },
  },
  {
    name: 'resolver: an origin the resolver trusts gets ACAO',
    method: 'GET',
    path: '/partners',
    headers: { origin: DB },
    status: 200,
    expect: { 'access-control-allow-origin': DB, 'access-control-allow-credentials': null },
  },
  {
    name: 'resolver: the cached answer is used again',
    method: 'GET',
    path: '/partners',
    headers: { origin: DB },
    status: 200,
    expect: { 'access-control-allow-origin': DB },
  },
  {
    name: 'resolver: an origin the resolver refuses gets no ACAO',
    method: 'GET',
    path: '/partners',
    headers: { origin: EVIL },
    status: 200,
    expect: { 'access-control-allow-origin': null },
  },
  {
    name: 'module default (origin: false): no CORS header even for a listed origin',
    method: 'GET',
    path: '/health',
    headers: { origin: A },
    status: 200,
    expect: { 'access-control-allow-origin': null },
  },
  {
    name: "loopback port rule 'http://localhost:*': any port on localhost gets ACAO",
    method: 'GET',
    path: '/orders',
    headers: { origin: 'http://localhost:5173' },
    status: 200,
    expect: { 'access-control-allow-origin': 'http://localhost:5173', 'access-control-allow-credentials': 'true' },
    vary: ['Origin'],
  },
  {
    name: "loopback port rule 'http://localhost:*': a look-alike gets no CORS header",
    method: 'GET',
    path: '/orders',
    headers: { origin: 'http://localhost:5173.evil.net' },
    status: 200,
    expect: { 'access-control-allow-origin': null, 'access-control-allow-credentials': null },
    vary: ['Origin'],
  },
  {
    name: 'subdomain pattern under a registrable domain (checked against the Public Suffix List at startup)',
    method: 'GET',
    path: '/orders',
    headers: { origin: 'https://x.partner.example.org' },
    status: 200,
    expect: { 'access-control-allow-origin': 'https://x.partner.example.org' },
  },
];

/** The origins the resolver must have been asked, in order (the repeat is served by the cache). */
export const expectedResolverCalls = [DB, EVIL];

/** Human-readable differences between what `c` expects and a response; empty when it passes. */
export function mismatches(c: CorsCase, status: number, header: (name: string) => string | null | undefined): string[] {
  const problems: string[] = [];
  if (status !== c.status) problems.push(`status ${status}, expected ${c.status}`);
  for (const [name, expected] of Object.entries(c.expect)) {
    const actual = header(name) ?? null;
    if (actual !== expected) problems.push(`${name}: ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
  for (const token of c.vary ?? []) {
    const vary = header('vary') ?? '';
    if (
      !vary
        .split(',')
        .map((v) => v.trim().toLowerCase())
        .includes(token.toLowerCase())
    ) {
      problems.push(`vary: ${JSON.stringify(vary)}, expected it to contain ${token}`);
    }
  }
  return problems;
}
