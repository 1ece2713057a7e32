import type { Logger } from '@nestjs/common';
import type { CompiledPolicy } from './compiled-policy.js';

/** Why a request did not get CORS headers (BRIEF §3.6). */
export type RefusalReason =
  | 'origin not trusted'
  | 'origin not a serialized origin'
  | 'method not allowed'
  | 'header not allowed'
  | 'malformed Access-Control-Request-Headers';

/** Logs refusals when `debug` is on; every line names origin, route, policy, failed check and fix. */
export class RefusalExplainer {
  constructor(private readonly logger: Logger) {}

  explain(reason: RefusalReason, origin: string, route: string, policy: CompiledPolicy, detail = ''): void {
    this.logger.warn(
      `Refused ${route} for origin ${JSON.stringify(origin)}: ${reason}${detail ? ` (${detail})` : ''}. ` +
        `Policy: ${policy.describedAs}. Fix: ${FIXES[reason](policy)}`,
    );
  }
}

const FIXES: Record<RefusalReason, (policy: CompiledPolicy) => string> = {
  'origin not trusted': (policy) =>
    `add the origin to "origin" (declared at ${policy.sources.origin ?? 'the `cors` package default'}), or to the resolver's data.`,
  'origin not a serialized origin': () =>
    'nothing to configure: browsers never send such an Origin header; check the client or proxy that sent it.',
  'method not allowed': (policy) =>
    `add the method to "methods" (now "${policy.allowMethods}", declared at ${policy.sources.methods ?? 'the `cors` package default'}).`,
  'header not allowed': (policy) =>
    `add the header to "allowedHeaders" (now "${policy.allowHeaders ?? ''}", declared at ${policy.sources.allowedHeaders ?? 'the `cors` package default'}).`,
  'malformed Access-Control-Request-Headers': () =>
    'nothing to configure: a browser never sends such a list; check the client that sent it.',
};
