import type { IncomingMessage } from 'node:http';

/**
 * The request as origin functions and resolvers see it: Node's `IncomingMessage`
 * (an Express `Request` in Express apps), typed loosely so that the library does not
 * tie users to one platform's request type.
 */
export type CorsRequest = IncomingMessage & {
  /** Express's parsed hostname, when the platform provides it. */
  readonly hostname?: string;
  readonly originalUrl?: string;
};
