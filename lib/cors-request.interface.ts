import type { IncomingMessage } from 'node:http';

/**
 * The platform's own request, given to the middleware beside the raw one by a platform that hands
 * it the raw request (Fastify): read only for what the raw one lacks, the hostname (which honours
 * `trustProxy`), and only for host-bound routes. Passed as an argument, never stored on the raw
 * request: a property added to every `IncomingMessage` is one more shape for all the code that
 * reads requests, Node's and Fastify's, on every request.
 */
export interface PlatformRequest {
  readonly hostname?: string;
}

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
