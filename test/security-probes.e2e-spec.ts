/**
 * A CORS misconfiguration probe suite, in the spirit of public CORS scanners (CORScanner, Corsy,
 * the Burp/ZAP CORS checks) and of published research on CORS misconfigurations (origin
 * reflection, `null`, prefix/suffix matching, unescaped dots in regular expressions, scheme
 * downgrade, parser confusion with userinfo, special characters, IDN and whitespace).
 *
 * One fixture app per rule form (exact, list, subdomain pattern, RegExp written the safe way,
 * resolver class), every route with `credentials: true`. Each hostile `Origin` is sent as an
 * actual GET and as a preflight; the answer must carry no `Access-Control-Allow-*` header (in
 * particular no `Access-Control-Allow-Origin` and no `Access-Control-Allow-Credentials`) and must
 * carry `Vary: Origin`. Each legitimate variant must get its own origin back, with credentials.
 *
 * What actually arrives at the server (measured on Node 20, llhttp):
 * - leading and trailing spaces and tabs around a header value are optional whitespace (RFC 9110)
 *   and are stripped by Node's parser, so `' https://app.example.com\t'` reaches the library as
 *   `'https://app.example.com'`: it is indistinguishable from the legitimate origin and passes
 *   (see TRANSPORT_TRIMMED). Whitespace *inside* the value arrives as sent and is refused.
 * - several `Origin` header lines are joined by Node with `', '` (origin is not one of the
 *   headers whose duplicates Node drops), so the library sees `'a, b'`: not a serialized origin.
 * - characters above U+00FF cannot be sent by Node's HTTP client (ERR_INVALID_CHAR); those values
 *   are written as raw UTF-8 bytes on a `net` socket, and Node's server decodes them as latin1.
 *   Several `Origin` values are also written on the raw socket, one header line each.
 *   Latin-1 characters (U+0080..U+00FF) are sent by supertest as single bytes.
 */
import { Controller, Get, Injectable, Module, Put, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createPlatformApplication, describeOnPlatforms } from './support/apps.js';
import { CorsModule, CorsPolicy, type CorsOriginResolver, type CorsOriginRule } from '../lib/index.js';
import { parseSerializedOrigin } from '../lib/origins/serialized-origin.js';

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/** The resolver form: an injectable class trusting a Set (standing for a database table). */
@Injectable()
class TrustedOriginsResolver implements CorsOriginResolver {
  static readonly trusted = new Set(['https://app.example.com', 'https://partner.example.org:8443']);
  /** Every origin the library asked about: it must only ever ask about serialized origins. */
  static readonly asked: string[] = [];
  isOriginAllowed(origin: string): Promise<boolean> {
    TrustedOriginsResolver.asked.push(origin);
    return Promise.resolve(TrustedOriginsResolver.trusted.has(origin));
  }
}

interface RuleForm {
  readonly name: string;
  readonly origin: CorsOriginRule | CorsOriginRule[];
  /** The origins a browser sends that this rule must allow. */
  readonly legitimate: readonly string[];
  /** Hostile values aimed specifically at this rule (added to the shared corpus). */
  readonly specific: readonly Probe[];
}

/** A hostile value: one header value, or several header lines. */
type Probe = string | readonly string[];

const FORMS: readonly RuleForm[] = [
  {
    name: 'exact',
    origin: 'https://app.example.com',
    legitimate: ['https://app.example.com'],
    specific: ['https://www.app.example.com', 'https://x.app.example.com', 'https://admin.example.com:8443'],
  },
  {
    name: 'list',
    origin: ['https://app.example.com', 'https://admin.example.com:8443'],
    legitimate: ['https://app.example.com', 'https://admin.example.com:8443'],
    specific: [
      'https://admin.example.com', // the listed host without its port
      'http://admin.example.com:8443',
      'https://admin.example.com:8444',
      'https://admin.example.com:08443',
      'https://admin.example.com:8443.evil.net',
      'https://admin.example.com:8443@evil.net',
      'https://evil.net@admin.example.com:8443',
      'https://ADMIN.example.com:8443',
      'https://admin.example.com:8443/',
      'https://app.example.com:8443', // port of one entry with the host of the other
      'https://admin.example.com:443',
      'https://app.example.com, https://admin.example.com:8443',
      ['https://app.example.com', 'https://admin.example.com:8443'],
      'https://www.app.example.com',
    ],
  },
  {
    name: 'subdomain pattern',
    origin: 'https://*.app.example.com',
    legitimate: [
      'https://x.app.example.com',
      'https://www.app.example.com',
      'https://a.b.c.app.example.com',
      'https://my-tenant.app.example.com',
      'https://0.app.example.com',
      'https://xn--bcher-kva.app.example.com', // the punycode form a browser sends for bücher
    ],
    specific: [
      'https://app.example.com', // never the apex
      'https://evilapp.example.com',
      'https://x.evilapp.example.com',
      'https://x-app.example.com',
      'https://xapp.example.com',
      'https://x.app.example.com.evil.net',
      'https://x.app.example.com.',
      'https://x.app.example.com..',
      'https://.app.example.com', // empty label
      'https://..app.example.com',
      'https://x..app.example.com',
      'https://x.app.example.com:8443', // a port the pattern does not name
      'https://x.app.example.com:443',
      'http://x.app.example.com', // another scheme
      'wss://x.app.example.com',
      'HTTPS://x.app.example.com',
      'https://X.app.example.com',
      'https://x.APP.example.com',
      'https://x.app.EXAMPLE.com',
      'https://*.app.example.com', // the pattern text itself
      'https://%2A.app.example.com',
      'https://x.appxexample.com',
      'https://x.app-example.com',
      'https://x.app.example.co',
      'https://x.app.example.com/',
      'https://x.app.example.com/.app.example.com',
      'https://evil.net@x.app.example.com',
      'https://x.app.example.com@evil.net',
      'https://evil.net#.app.example.com',
      'https://evil.net?.app.example.com',
      'https://evil.net/.app.example.com',
      'https://evil.net\\.app.example.com',
      'https://evil.net%2F.app.example.com',
      'https://evil.net%2e.app.example.com',
      'https://x.app.example.com, https://evil.net',
      ['https://x.app.example.com', 'https://evil.net'],
      ['https://x.app.example.com', 'https://y.app.example.com'],
      'https://x.app.example.com https://y.app.example.com',
      'https://x .app.example.com',
      'https://x\t.app.example.com',
      'https://x.app.example.com\u00a0',
      'https://\u00e0.app.example.com', // latin-1 letter, not punycode
      'https://b\u00fccher.app.example.com', // raw IDN (a browser sends xn--bcher-kva)
      'https://x.\u0430pp.example.com', // Cyrillic а: raw socket
      'https://x.app\uff0eexample.com', // fullwidth full stop: raw socket
      'https://x.xn--pp-7ka.example.com', // the punycode of a lookalike apex
    ],
  },
  {
    name: 'RegExp',
    origin: /^https:\/\/(?:www\.)?app\.example\.com$/,
    legitimate: ['https://app.example.com', 'https://www.app.example.com'],
    specific: [
      'https://wwwxapp.example.com', // what an unescaped dot after www would let in
      'https://www-app.example.com',
      'https://wwwapp.example.com',
      'https://www.appxexample.com',
      'https://www.app.examplexcom',
      'https://www.app.example.com.evil.net',
      'https://www.app.example.com.',
      'https://www.www.app.example.com',
      'https://x.app.example.com',
      'http://www.app.example.com',
      'https://WWW.app.example.com',
      'https://www.app.example.com:8443',
      'https://www.app.example.com/',
      'https://evil.net@www.app.example.com',
      'https://www.app.example.com@evil.net',
      'https://www.app.example.com, https://app.example.com',
    ],
  },
  {
    name: 'loopback port rules',
    origin: ['http://localhost:*', 'http://127.0.0.1:*', 'https://[::1]:*'],
    legitimate: [
      'http://localhost',
      'http://localhost:1',
      'http://localhost:5173',
      'http://localhost:65535',
      'http://127.0.0.1:3001',
      'https://[::1]',
      'https://[::1]:6006',
    ],
    specific: [
      'http://localhost.evil.net:5173',
      'http://localhost:5173.evil.net',
      'http://localhost:0',
      'http://localhost:99999',
      'http://localhost:65536',
      'http://sub.localhost:5173',
      'http://localhost:05173', // leading zero
      'http://localhost:80', // default port written out
      'https://[::1]:443',
      'http://localhost:',
      'http://LOCALHOST:5173',
      'HTTP://localhost:5173',
      'http://Localhost',
      'http://localhost.:5173', // trailing dot
      'http://localhost.',
      'http://user@localhost:5173', // userinfo
      'http://localhost:5173@evil.net',
      'http://evil.net@localhost:5173',
      'http://localhost%2e:5173',
      'http://localhost%2Eevil.net:5173',
      'http://127.0.0.2:5173', // another loopback address the rules do not name
      'http://127.1:5173',
      'http://2130706433:5173',
      'http://0x7f.0.0.1:5173',
      'https://localhost:5173', // another scheme
      'https://127.0.0.1:5173',
      'http://[::1]:6006', // the IPv6 rule names https: only
      'https://[0:0:0:0:0:0:0:1]:6006',
      'https://[::ffff:127.0.0.1]:6006',
      'https://[::1%25lo]:6006',
      'https://::1:6006',
      'ws://localhost:5173',
      'http://localhost:*',
      'http://localhost:%2A',
      'http://localhost:5173/',
      'http://localhost:5173, http://localhost:5174',
      ['http://localhost:5173', 'http://localhost:5174'],
      ['http://localhost:5173', 'https://evil.net'],
      'http://localhost:+5173',
      'http://localhost:5173 5174',
      'http://localhost:\uff15\uff11\uff17\uff13', // fullwidth digits: raw socket
    ],
  },
  {
    name: 'resolver',
    origin: TrustedOriginsResolver,
    legitimate: ['https://app.example.com', 'https://partner.example.org:8443'],
    specific: [
      'https://partner.example.org',
      'http://partner.example.org:8443',
      'https://partner.example.org:8444',
      'https://partner.example.org:08443',
      'https://PARTNER.example.org:8443',
      'https://partner.example.org:8443.evil.net',
      'https://partner.example.org:8443/',
      'https://partner.example.org:8443@evil.net',
      'https://evil.net@partner.example.org:8443',
      'https://partner.example.org.:8443',
      'https://www.app.example.com',
      'https://partner.example.org:8443, https://evil.net',
      ['https://partner.example.org:8443', 'https://partner.example.org:8443'],
    ],
  },
];

/**
 * The shared hostile corpus, aimed at `https://app.example.com`. A value that a form lists as
 * legitimate is taken out of that form's hostile set (none of these is, by construction).
 */
const SHARED_HOSTILE: readonly Probe[] = [
  // Reflection of arbitrary origins
  'https://evil.net',
  'http://evil.net',
  'https://attacker.example',
  'https://example.com',
  'https://example.com.evil.net',
  // null (sandboxed iframes, file:, data:, redirects)
  'null',
  'NULL',
  'Null',
  ' null x',
  // An empty value
  '',
  // Suffix tricks: the trusted origin as a prefix of the attacker's host
  'https://app.example.com.evil.net',
  'https://app.example.com.evil.net:443',
  'https://app.example.com-evil.net',
  'https://app.example.com_evil.net',
  'https://app.example.comevil.net',
  'https://app.example.company',
  'https://app.example.com.',
  'https://app.example.com..',
  // Prefix tricks: the trusted domain as a suffix of the attacker's host
  'https://evilapp.example.com',
  'https://evil-app.example.com',
  'https://evil.app.example.co',
  'https://app.example.co',
  'https://pp.example.com',
  'https://notexample.com',
  'https://evilexample.com',
  // Unescaped-dot lookalikes
  'https://appxexample.com',
  'https://app-example.com',
  'https://app.examplexcom',
  'https://appxexamplexcom',
  'https://wwwxapp.example.com',
  // Scheme downgrade and other schemes
  'http://app.example.com',
  'ws://app.example.com',
  'wss://app.example.com',
  'ftp://app.example.com',
  'file://app.example.com',
  'javascript://app.example.com',
  'chrome-extension://app.example.com',
  'https:app.example.com',
  'https:/app.example.com',
  'https:///app.example.com',
  '//app.example.com',
  'app.example.com',
  'https://',
  // Other ports, and the default port spelled out
  'https://app.example.com:443',
  'https://app.example.com:0443',
  'https://app.example.com:8443',
  'https://app.example.com:444',
  'https://app.example.com:80',
  'https://app.example.com:0',
  'https://app.example.com:65536',
  'https://app.example.com:99999',
  'https://app.example.com:',
  'https://app.example.com:+443',
  // Case variants (browsers always send lower case)
  'HTTPS://app.example.com',
  'Https://app.example.com',
  'https://APP.EXAMPLE.COM',
  'https://App.Example.Com',
  'https://app.example.COM',
  // Userinfo (a `new URL()` clean-up would turn these into the trusted origin)
  'https://evil.net@app.example.com',
  'https://user:pass@app.example.com',
  'https://@app.example.com',
  'https://app.example.com@evil.net',
  'https://app.example.com:@evil.net',
  'https://app.example.com:443@evil.net',
  // Paths, queries, fragments, trailing slash
  'https://app.example.com/',
  'https://app.example.com/path',
  'https://app.example.com?x=1',
  'https://app.example.com#x',
  'https://app.example.com/.evil.net',
  'https://evil.net/https://app.example.com',
  'https://evil.net?https://app.example.com',
  'https://evil.net#https://app.example.com',
  // Special characters in the host (browser parser differentials)
  'https://app.example.com%2eevil.net',
  'https://app%2Eexample.com',
  'https://app%2eexample.com',
  'https://app.example.com%00',
  'https://app.example.com%0d%0aSet-Cookie:x=1',
  'https://app.example.com\\.evil.net',
  'https://app.example.com\\@evil.net',
  'https://app.example.com`.evil.net',
  'https://app.example.com!.evil.net',
  "https://app.example.com'.evil.net",
  'https://app.example.com".evil.net',
  'https://app.example.com$.evil.net',
  'https://app.example.com&.evil.net',
  'https://app.example.com+.evil.net',
  'https://app.example.com=.evil.net',
  'https://app.example.com;.evil.net',
  'https://app.example.com,.evil.net',
  'https://app.example.com{.evil.net',
  'https://app.example.com}.evil.net',
  'https://app.example.com|.evil.net',
  'https://app.example.com~.evil.net',
  'https://app.example.com(.evil.net',
  'https://app.example.com*.evil.net',
  'https://app.example.com^.evil.net',
  'https://app.example.com<.evil.net',
  'https://*.example.com',
  'https://app.*.com',
  'https://[::1]',
  'https://127.0.0.1',
  'https://0x7f.0.0.1',
  // IDN and punycode forms (a homograph and its punycode are different origins)
  'https://\u00e0pp.example.com', // latin-1 à, one byte on the wire
  'https://app.ex\u00e4mple.com', // latin-1 ä
  'https://\u0430pp.example.com', // Cyrillic а (raw socket, UTF-8 bytes)
  'https://app\uff0eexample\uff0ecom', // fullwidth full stops (raw socket)
  'https://app\u3002example.com', // ideographic full stop (raw socket)
  'https://xn--pp-7ka.example.com', // punycode of àpp
  'https://xn--80ak6aa92e.com', // punycode of a Cyrillic lookalike
  'https://app.xn--exmple-cua.com', // punycode of exämple
  // Whitespace inside the value (leading/trailing OWS is stripped by Node, see the header)
  'https://app.example.com evil.net',
  'https://app .example.com',
  'https:// app.example.com',
  'https://app.example.com\t.evil.net',
  'https://app.example.com\u00a0', // NBSP is not optional whitespace: it arrives
  '\u00a0https://app.example.com',
  // Several Origin values: one header with a list, and two header lines
  'https://app.example.com, https://evil.net',
  'https://evil.net, https://app.example.com',
  'https://app.example.com,https://app.example.com',
  'https://app.example.com https://app.example.com',
  ['https://app.example.com', 'https://evil.net'],
  ['https://evil.net', 'https://app.example.com'],
  ['https://app.example.com', 'https://app.example.com'],
];

/**
 * Leading/trailing optional whitespace is stripped by Node's parser before the library sees the
 * value; these therefore reach it as the legitimate origin and must still pass.
 */
const TRANSPORT_TRIMMED = (origin: string): string[] => [` ${origin}`, `${origin} `, `\t${origin}`, `${origin}\t`, ` \t ${origin} \t `];

function hostileFor(form: RuleForm): Probe[] {
  const legit = new Set(form.legitimate);
  const seen = new Set<string>();
  const result: Probe[] = [];
  for (const probe of [...SHARED_HOSTILE, ...form.specific]) {
    const key = JSON.stringify(probe);
    if (seen.has(key) || (typeof probe === 'string' && legit.has(probe))) continue;
    seen.add(key);
    result.push(probe);
  }
  return result;
}

function controllerFor(origin: RuleForm['origin']) {
  @Controller('probe')
  @CorsPolicy({ origin, credentials: true, methods: ['GET', 'PUT'], maxAge: 60 })
  class ProbeController {
    @Get() read() {
      return { ok: true };
    }
    @Put() write() {
      return { ok: true };
    }
  }
  return ProbeController;
}

async function bootForm(form: RuleForm): Promise<{ app: INestApplication; port: number }> {
  @Module({
    imports: [CorsModule.forRoot({ origin: false, resolverCache: { ttlMs: 60_000 } })],
    controllers: [controllerFor(form.origin)],
    providers: [TrustedOriginsResolver],
  })
  class ProbeModule {}
  const moduleRef = await Test.createTestingModule({ imports: [ProbeModule] }).compile();
  const app = createPlatformApplication(moduleRef, { logger: false });
  await app.listen(0, '127.0.0.1');
  return { app, port: (app.getHttpServer().address() as AddressInfo).port };
}

// ---------------------------------------------------------------------------------------------
// Sending: supertest for what Node's client can send, a raw socket for the rest
// ---------------------------------------------------------------------------------------------

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** Node's HTTP client refuses header characters above U+00FF (and control characters). */
const clientCanSend = (value: string): boolean => /^[\t\x20-\x7e\x80-\xff]*$/.test(value);

async function send(port: number, method: 'GET' | 'OPTIONS', probe: Probe): Promise<Answer> {
  const values = typeof probe === 'string' ? [probe] : [...probe];
  // Several values go on a raw socket too, so that they certainly travel as separate header lines.
  if (typeof probe === 'string' && clientCanSend(probe)) {
    const call =
      method === 'GET' ? request(`http://127.0.0.1:${port}`).get('/probe') : request(`http://127.0.0.1:${port}`).options('/probe');
    call.set('Origin', probe);
    if (method === 'OPTIONS')
      call.set('Access-Control-Request-Method', 'PUT').set('Access-Control-Request-Headers', 'content-type, x-requested-with');
    const response = await call;
    return { status: response.status, headers: response.headers as Record<string, string> };
  }
  const lines = [`${method} /probe HTTP/1.1`, 'Host: 127.0.0.1', ...values.map((value) => `Origin: ${value}`)];
  if (method === 'OPTIONS')
    lines.push('Access-Control-Request-Method: PUT', 'Access-Control-Request-Headers: content-type, x-requested-with');
  lines.push('Connection: close', '', '');
  return rawExchange(port, Buffer.from(lines.join('\r\n'), 'utf8'));
}

/** Writes raw bytes, reads the whole answer (the server closes: `Connection: close`). */
function rawExchange(port: number, bytes: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.end(bytes));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const [head = ''] = text.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers });
    });
  });
}

const varyHasOrigin = (headers: Readonly<Record<string, string>>): boolean =>
  (headers.vary ?? '').split(',').some((field) => field.trim().toLowerCase() === 'origin');

const allowHeadersOf = (headers: Readonly<Record<string, string>>): string[] =>
  Object.keys(headers).filter((name) => name.startsWith('access-control-allow-'));

/** Runs `task` over `items` with a small concurrency, keeping the suite fast and the order stable. */
async function mapConcurrent<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index]);
      }
    }),
  );
  return results;
}

// ---------------------------------------------------------------------------------------------
// The probes
// ---------------------------------------------------------------------------------------------

const summary: string[] = [];
afterAll(() => {
  // One line per rule form, for the record (visible with --verbose or on failure).
  if (process.env.CORS_PROBE_SUMMARY) console.log(summary.join('\n'));
});

describeOnPlatforms('CORS probes', () => {
  describe.each(FORMS)('$name rule, credentials: true', (form) => {
    let app: INestApplication;
    let port: number;
    const hostile = hostileFor(form);
    const legitimate = [...form.legitimate];
    const trimmed = form.legitimate.flatMap(TRANSPORT_TRIMMED);

    beforeAll(async () => ({ app, port } = await bootForm(form)));
    afterAll(() => app.close());

    it('has at least 50 hostile values and every legitimate variant to probe', () => {
      expect(hostile.length).toBeGreaterThanOrEqual(50);
      expect(legitimate.length).toBeGreaterThan(0);
      summary.push(`${form.name}: ${hostile.length} hostile, ${legitimate.length} legitimate, ${trimmed.length} OWS-trimmed legitimate`);
    });

    it.each(['GET', 'OPTIONS'] as const)('accepts zero hostile origins (%s)', async (method) => {
      const answers = await mapConcurrent(hostile, 8, async (probe) => ({ probe, answer: await send(port, method, probe) }));
      const accepted = answers.filter(
        ({ answer }) =>
          answer.headers['access-control-allow-origin'] !== undefined || answer.headers['access-control-allow-credentials'] !== undefined,
      );
      const leakedAllow = answers.filter(({ answer }) => allowHeadersOf(answer.headers).length > 0);
      const missingVary = answers.filter(({ answer }) => !varyHasOrigin(answer.headers));
      const failed = answers.filter(({ answer }) => answer.status >= 500 || answer.status === 0);
      const wrongStatus = answers.filter(({ answer }) => answer.status !== (method === 'GET' ? 200 : 204));
      expect(accepted.map(({ probe, answer }) => ({ probe, acao: answer.headers['access-control-allow-origin'] }))).toEqual([]);
      expect(leakedAllow.map(({ probe, answer }) => ({ probe, headers: allowHeadersOf(answer.headers) }))).toEqual([]);
      expect(missingVary.map(({ probe, answer }) => ({ probe, vary: answer.headers.vary }))).toEqual([]);
      expect(failed.map(({ probe, answer }) => ({ probe, status: answer.status }))).toEqual([]);
      // The handler runs for a refused origin (CORS protects reads) and the preflight is answered
      // without permission: every probe reached the library (none is refused by Node's parser).
      expect(wrongStatus.map(({ probe, answer }) => ({ probe, status: answer.status }))).toEqual([]);
    });

    it.each(['GET', 'OPTIONS'] as const)('refuses zero legitimate origins (%s)', async (method) => {
      for (const origin of legitimate) {
        const answer = await send(port, method, origin);
        expect({ origin, status: answer.status }).toEqual({ origin, status: method === 'GET' ? 200 : 204 });
        expect({ origin, acao: answer.headers['access-control-allow-origin'] }).toEqual({ origin, acao: origin });
        expect({ origin, credentials: answer.headers['access-control-allow-credentials'] }).toEqual({ origin, credentials: 'true' });
        expect(varyHasOrigin(answer.headers)).toBe(true);
        if (method === 'OPTIONS') {
          expect(answer.headers['access-control-allow-methods']).toBe('GET,PUT');
          expect(answer.headers['access-control-allow-headers']).toBe('content-type, x-requested-with');
        }
      }
    });

    it('lets a legitimate origin through when Node strips optional whitespace around it', async () => {
      for (const value of trimmed) {
        for (const method of ['GET', 'OPTIONS'] as const) {
          const answer = await send(port, method, value);
          // What reached the library is value.trim() (llhttp strips SP/HTAB around a field value),
          // so the answer names the origin without the whitespace: exactly what a browser sent.
          expect({ value, acao: answer.headers['access-control-allow-origin'] }).toEqual({ value, acao: value.trim() });
          expect(answer.headers['access-control-allow-credentials']).toBe('true');
        }
      }
    });

    it('only ever asks a resolver about serialized origins', () => {
      if (form.origin !== TrustedOriginsResolver) return;
      expect(TrustedOriginsResolver.asked.length).toBeGreaterThan(0);
      expect(TrustedOriginsResolver.asked.filter((origin) => parseSerializedOrigin(origin) === undefined)).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Issue 13: host names no page can have (a label over 63 bytes, a host over 253 bytes in all)
// are not serialized origins, whatever rule would otherwise take them.
// ---------------------------------------------------------------------------------------------

/** A host under app.example.com of exactly `length` bytes, no label over 63 bytes. */
function hostOf(length: number): string {
  const suffix = '.app.example.com';
  // Labels of 62 bytes, each followed by a dot, cut from the left to the size wanted.
  const labels = `${'a'.repeat(62)}.`.repeat(5).slice(0, -1);
  const host = labels.slice(labels.length - (length - suffix.length)) + suffix;
  return host.startsWith('.') ? `b${host.slice(1)}` : host;
}

@Injectable()
class TrustEveryoneResolver implements CorsOriginResolver {
  static readonly asked: string[] = [];
  isOriginAllowed(origin: string): boolean {
    TrustEveryoneResolver.asked.push(origin);
    return true;
  }
}

const askedFunctions: string[] = [];
const PERMISSIVE_FORMS: ReadonlyArray<readonly [string, CorsOriginRule | CorsOriginRule[]]> = [
  ['subdomain pattern', 'https://*.app.example.com'],
  ['true (reflect any)', true],
  ['an anchored RegExp', /^https:\/\/[a-z0-9.-]+\.app\.example\.com$/],
  ['a predicate', (origin: string) => askedFunctions.push(origin) > 0],
  [
    "the cors package's callback form",
    ((origin: string, callback: (error: null, allow: boolean) => void) => {
      askedFunctions.push(origin);
      callback(null, true);
    }) as CorsOriginRule,
  ],
  ['a resolver class', TrustEveryoneResolver],
];

describe('host names no page can have are refused before any rule is asked', () => {
  const longLabel = `https://${'a'.repeat(64)}.app.example.com`;
  const longestLabel = `https://${'a'.repeat(63)}.app.example.com`;
  const longHost = `https://${hostOf(254)}`;
  const longestHost = `https://${hostOf(253)}`;

  it('builds hosts of the sizes it claims', () => {
    expect(hostOf(253)).toHaveLength(253);
    expect(hostOf(254)).toHaveLength(254);
    expect(
      hostOf(254)
        .split('.')
        .every((label) => label.length <= 63 && label.length > 0),
    ).toBe(true);
  });

  describe.each(PERMISSIVE_FORMS)('%s', (_, origin) => {
    let app: INestApplication;
    beforeAll(async () => {
      @Controller('things')
      class ThingsController {
        @Get() list() {
          return [];
        }
      }
      @Module({ imports: [CorsModule.forRoot({ origin })], controllers: [ThingsController], providers: [TrustEveryoneResolver] })
      class AppModule {}
      const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
      app = await createPlatformApplication(moduleRef, { logger: false }).init();
    });
    afterAll(() => app.close());

    it.each([
      ['a label of 64 bytes', longLabel],
      ['a host of 254 bytes', longHost],
    ])('refuses %s (GET and preflight), without asking a function or resolver', async (_name, value) => {
      const before = askedFunctions.length + TrustEveryoneResolver.asked.length;
      const actual = await request(app.getHttpServer()).get('/things').set('Origin', value).expect(200);
      expect(actual.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await request(app.getHttpServer())
        .options('/things')
        .set({ Origin: value, 'Access-Control-Request-Method': 'PUT' });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(askedFunctions.length + TrustEveryoneResolver.asked.length).toBe(before);
    });

    it.each([
      ['a label of 63 bytes', longestLabel],
      ['a host of 253 bytes', longestHost],
    ])('allows %s', async (_name, value) => {
      const actual = await request(app.getHttpServer()).get('/things').set('Origin', value).expect(200);
      expect(actual.headers['access-control-allow-origin']).toBe(value);
    });
  });

  it('debug explains the refusal as "origin not a serialized origin"', async () => {
    const warnings: string[] = [];
    const logger = { log() {}, error() {}, warn: (message: unknown) => warnings.push(String(message)) };
    @Controller('things')
    class ThingsController {
      @Get() list() {
        return [];
      }
    }
    @Module({ imports: [CorsModule.forRoot({ origin: 'https://*.app.example.com', debug: true })], controllers: [ThingsController] })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const app = await moduleRef.createNestApplication({ logger }).init();
    try {
      await request(app.getHttpServer()).get('/things').set('Origin', longLabel).expect(200);
      expect(warnings.filter((line) => line.startsWith('Refused'))).toEqual([expect.stringContaining('origin not a serialized origin')]);
    } finally {
      await app.close();
    }
  });
});
