import type { CompiledPolicy } from '../policy/compiled-policy.js';
import type { CorsRequest } from '../cors-request.interface.js';
import type { RefusalReason } from '../decisions/cors-refusal.js';
import { judgeOrigin, refusalReason } from '../decisions/origin-verdict.js';

/** The answer to one handshake: allowed or not, and the policy that decided (for the polling transport's headers). */
export interface HandshakeVerdict {
  readonly allowed: boolean;
  /** The policy that allowed the origin; when refused, the first one that applies (`undefined` when none does). */
  readonly policy: CompiledPolicy | undefined;
  readonly reason?: RefusalReason;
}

/**
 * Judges a handshake's `Origin` against the policies of the gateways it may reach (one, or
 * every namespace of a socket.io server). Browsers always send `Origin` on a WebSocket
 * handshake and apply no CORS to the answer, so this check is the only protection against
 * cross-site WebSocket hijacking. Rules, in order: no `Origin` (a server-to-server client)
 * passes; a page of the server's own origin passes; otherwise a policy must allow the origin,
 * with the verdict of HTTP routes (`judgeOrigin`: resolvers and their cache included). `'*'`
 * allows every origin; CORS off (`false`) allows none.
 */
export function judgeHandshake(
  policies: readonly CompiledPolicy[],
  request: CorsRequest,
  appOrigins: ReadonlySet<string> | undefined,
): HandshakeVerdict | Promise<HandshakeVerdict> {
  const first = policies[0] as CompiledPolicy | undefined;
  const origin = request.headers.origin;
  if (origin === undefined || isOwnOrigin(origin, request, appOrigins)) return { allowed: true, policy: first };
  return judgeFrom(policies, 0, origin, request, first);
}

function judgeFrom(
  policies: readonly CompiledPolicy[],
  start: number,
  origin: string,
  request: CorsRequest,
  first: CompiledPolicy | undefined,
): HandshakeVerdict | Promise<HandshakeVerdict> {
  for (let index = start; index < policies.length; index++) {
    const policy = policies[index];
    const answer = judgeOrigin(policy, origin, request);
    if (answer === true) return { allowed: true, policy };
    if (answer !== false) {
      return answer.then((allowed) =>
        allowed === true ? { allowed: true, policy } : judgeFrom(policies, index + 1, origin, request, first),
      );
    }
  }
  return { allowed: false, policy: first, reason: refusalReason(origin, request) };
}

/**
 * A page of the app itself. With `strict.appOrigins` declared, one of those origins, and only
 * them. Without, `Origin` equals the connection's scheme and `Host`: a DNS-rebinding page
 * (`Host: evil.example.net:PORT`, `Origin: http://evil.example.net:PORT`) passes that
 * comparison, and so does the `http://` twin of the app behind a TLS-terminating proxy, which
 * is why declaring `appOrigins` is the fix the README gives.
 */
function isOwnOrigin(origin: string, request: CorsRequest, appOrigins: ReadonlySet<string> | undefined): boolean {
  if (appOrigins !== undefined) return appOrigins.has(origin);
  const host = request.headers.host;
  if (host === undefined) return false;
  const encrypted = (request.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  return origin === `${encrypted ? 'https' : 'http'}://${host}`;
}
