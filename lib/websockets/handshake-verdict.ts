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
export function judgeHandshake(policies: readonly CompiledPolicy[], request: CorsRequest): HandshakeVerdict | Promise<HandshakeVerdict> {
  const first = policies[0] as CompiledPolicy | undefined;
  const origin = request.headers.origin;
  if (origin === undefined || isSameOrigin(origin, request)) return { allowed: true, policy: first };
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
 * A page served by this server itself: `Origin` equals the scheme of the connection and the
 * `Host` the browser connected to. A browser cannot forge `Host`, so another site never passes;
 * behind a TLS-terminating proxy the scheme differs and the app's own origin must be listed.
 */
function isSameOrigin(origin: string, request: CorsRequest): boolean {
  const host = request.headers.host;
  if (host === undefined) return false;
  const encrypted = (request.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  return origin === `${encrypted ? 'https' : 'http'}://${host}`;
}
