import { ServerResponse, type OutgoingHttpHeader, type OutgoingHttpHeaders } from 'node:http';
import vary from 'vary';
import { isVaryName } from './header-tokens.js';

/**
 * The CORS headers of a response whose class writes them with its head (see `withCorsHead`):
 * `[varyFields, name, value, name, value, ...]`, `varyFields` being `''` when there are none.
 * `null` on such a response while it has none; absent (`undefined`) on any other response.
 */
const CORS_HEAD = Symbol('nestjs-cors-policy:cors-head');

type CorsHead = Array<string | number>;
type HeadValue = OutgoingHttpHeader;
type HeadHolder = ServerResponse & { [CORS_HEAD]?: CorsHead | null };
type HeaderList = OutgoingHttpHeader[];

/** Whether `res` keeps its CORS headers until its head is written. */
export function writesCorsHead(res: ServerResponse): boolean {
  return (res as HeadHolder)[CORS_HEAD] !== undefined;
}

/** Adds `Vary` fields to the CORS head of a response that `writesCorsHead`. */
export function deferVary(res: ServerResponse, fields: string): void {
  const holder = res as HeadHolder;
  const head = holder[CORS_HEAD];
  if (!head) holder[CORS_HEAD] = [fields];
  else head[0] = head[0] === '' ? fields : `${head[0] as string}, ${fields}`;
}

/** Sets one CORS header (never `Vary`) in the CORS head of a response that `writesCorsHead`. */
export function deferHeader(res: ServerResponse, name: string, value: string | number): void {
  const holder = res as HeadHolder;
  const head = holder[CORS_HEAD];
  if (!head) {
    holder[CORS_HEAD] = ['', name, value];
    return;
  }
  for (let index = 1; index < head.length; index += 2) {
    if (head[index] === name) {
      head[index + 1] = value;
      return;
    }
  }
  head.push(name, value);
}

/**
 * A response class whose responses keep the CORS headers the middleware decides and write them
 * with the head, under whatever the app set since: a header of the same name set later wins, and
 * a later `Vary` gets the CORS fields appended (dropping `Origin` would let a shared cache serve
 * one origin's answer to another).
 *
 * Why not `setHeader` at once, as on Express: Fastify hands its headers to `writeHead()` as one
 * object, which Node.js writes as it is unless headers were set on the response before; then it
 * sets them one by one. Keeping the CORS headers out of the response until then spares every
 * CORS response that merge: 3.5 to 6.5 thousand instructions, 4 to 6 % of a small Fastify
 * request (bench/results/2026-12-07-fastify.md).
 *
 * Until the head is written, the header accessors (`getHeader`, `hasHeader`, `getHeaders`,
 * `getHeaderNames`, `removeHeader`) see the CORS headers as if they were set.
 */
export function withCorsHead(Base: typeof ServerResponse): typeof ServerResponse {
  class CorsHeadResponse extends Base {
    [CORS_HEAD]: CorsHead | null = null;

    override writeHead(
      statusCode: number,
      reasonOrHeaders?: string | OutgoingHttpHeaders | HeaderList,
      headers?: OutgoingHttpHeaders | HeaderList,
    ): this {
      const head = this[CORS_HEAD];
      if (!head) return super.writeHead(statusCode, reasonOrHeaders as string, headers);
      this[CORS_HEAD] = null;
      const given = typeof reasonOrHeaders === 'string' ? headers : reasonOrHeaders;
      if (!given || Array.isArray(given) || !Object.isExtensible(given)) {
        const written = headUnder(this, head, given);
        if (typeof reasonOrHeaders === 'string') return super.writeHead(statusCode, reasonOrHeaders, written);
        return super.writeHead(statusCode, written);
      }
      // Written into the given object for this call only, then taken out: Node.js has serialised
      // it by then, and the object may be a constant the app writes on every response. A copy
      // would cost more than the merge it spares (new object shapes on every request).
      const varyKey = keyOf(given, 'vary');
      const varyBefore = varyKey === undefined ? undefined : given[varyKey];
      const added = addCorsHead(this, head, given, varyKey);
      try {
        return super.writeHead(statusCode, reasonOrHeaders as string, headers);
      } finally {
        removeCorsHead(head, given, added, varyKey, varyBefore);
      }
    }

    override getHeader(name: string): HeadValue | undefined {
      const value = super.getHeader(name);
      const head = this[CORS_HEAD];
      if (!head) return value;
      if (isVaryName(name)) return head[0] === '' ? value : withVaryFields(value, head[0] as string);
      return value ?? deferredValue(head, name);
    }

    override hasHeader(name: string): boolean {
      return super.hasHeader(name) || (!!this[CORS_HEAD] && this.getHeader(name) !== undefined);
    }

    override getHeaders(): OutgoingHttpHeaders {
      const headers = super.getHeaders();
      const head = this[CORS_HEAD];
      if (!head) return headers;
      if (head[0] !== '') headers.vary = withVaryFields(headers.vary, head[0] as string);
      for (let index = 1; index < head.length; index += 2) {
        const name = (head[index] as string).toLowerCase();
        headers[name] ??= head[index + 1];
      }
      return headers;
    }

    override getHeaderNames(): string[] {
      return this[CORS_HEAD] ? Object.keys(this.getHeaders()) : super.getHeaderNames();
    }

    override removeHeader(name: string): void {
      super.removeHeader(name);
      const head = this[CORS_HEAD];
      if (!head) return;
      if (isVaryName(name)) head[0] = '';
      for (let index = head.length - 2; index >= 1; index -= 2) if (sameName(head[index] as string, name)) head.splice(index, 2);
    }
  }
  return CorsHeadResponse as typeof ServerResponse;
}

/**
 * Adds the CORS headers to `given` where it has no header of the same name and none was set on
 * the response since; returns which of them it added (bit `n` for the header at `head[2n + 1]`).
 */
function addCorsHead(res: ServerResponse, head: CorsHead, given: OutgoingHttpHeaders, varyKey: string | undefined): number {
  const fields = head[0] as string;
  if (fields !== '') {
    if (varyKey === undefined) given.Vary = withVaryFields(res.getHeader('Vary'), fields);
    else given[varyKey] = withVaryFields(given[varyKey], fields);
  }
  let added = 0;
  for (let index = 1, bit = 1; index < head.length; index += 2, bit <<= 1) {
    const name = head[index] as string;
    if (keyOf(given, name) !== undefined || res.hasHeader(name)) continue;
    given[name] = head[index + 1];
    added |= bit;
  }
  return added;
}

/** Takes out of `given` what `addCorsHead` put in, the last added first (which V8 undoes cheaply). */
function removeCorsHead(
  head: CorsHead,
  given: OutgoingHttpHeaders,
  added: number,
  varyKey: string | undefined,
  varyBefore: HeadValue | undefined,
): void {
  if (added !== 0) {
    for (let index = head.length - 2, bit = 1 << ((head.length - 3) >> 1); index >= 1; index -= 2, bit >>= 1) {
      if ((added & bit) !== 0) Reflect.deleteProperty(given, head[index]);
    }
  }
  if (head[0] === '') return;
  if (varyKey === undefined) delete given.Vary;
  else given[varyKey] = varyBefore;
}

/**
 * Without an object to write them with (a response ended by `end()`, headers as a list, a frozen
 * object): sets them on the response now, under what was set since, and returns the headers to
 * write, with the CORS `Vary` fields in any `Vary` they hold (Node.js sets those over the response's).
 */
function headUnder(
  res: ServerResponse,
  head: CorsHead,
  given: OutgoingHttpHeaders | HeaderList | undefined,
): OutgoingHttpHeaders | HeaderList | undefined {
  setUnder(res, head);
  const fields = head[0] as string;
  if (!given || fields === '') return given;
  if (Array.isArray(given)) return listWithVaryFields(given, fields);
  const varyKey = keyOf(given, 'vary');
  return varyKey === undefined ? given : { ...given, [varyKey]: withVaryFields(given[varyKey], fields) };
}

function setUnder(res: ServerResponse, head: CorsHead): void {
  const fields = head[0] as string;
  if (fields !== '') res.setHeader('Vary', withVaryFields(res.getHeader('Vary'), fields));
  for (let index = 1; index < head.length; index += 2) {
    const name = head[index] as string;
    if (!res.hasHeader(name)) res.setHeader(name, head[index + 1]);
  }
}

/** A flat header list whose `Vary`, if any, has the CORS `fields` too. */
function listWithVaryFields(list: HeaderList, fields: string): HeaderList {
  let copy: HeaderList | undefined;
  for (let index = 0; index + 1 < list.length; index += 2) {
    const name = list[index];
    if (typeof name === 'string' && isVaryName(name)) (copy ??= [...list])[index + 1] = withVaryFields(list[index + 1], fields);
  }
  return copy ?? list;
}

/** `current` with the CORS `fields` (not empty) appended (`vary` keeps `*` alone and drops repeats). */
export function withVaryFields(current: number | string | readonly string[] | undefined, fields: string | string[]): string {
  if (current === undefined) return typeof fields === 'string' ? fields : fields.join(', ');
  return vary.append(Array.isArray(current) ? current.join(', ') : String(current), fields);
}

function deferredValue(head: CorsHead, name: string): string | number | undefined {
  for (let index = 1; index < head.length; index += 2) if (sameName(head[index] as string, name)) return head[index + 1];
  return undefined;
}

/** The key under which `headers` holds the header `name`, whatever its case. */
function keyOf(headers: OutgoingHttpHeaders, name: string): string | undefined {
  for (const key in headers) if (sameName(key, name)) return key;
  return undefined;
}

function sameName(a: string, b: string): boolean {
  return a.length === b.length && (a === b || a.toLowerCase() === b.toLowerCase());
}
