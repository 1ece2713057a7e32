import type { IncomingMessage } from 'node:http';

/**
 * Where a platform that hands the middleware its raw request (Fastify) keeps its own request
 * object, read only for what the raw one lacks (the hostname, which honours `trustProxy`).
 */
export const PLATFORM_REQUEST = Symbol('nestjs-cors-policy:platform-request');

/**
 * The request as origin functions and resolvers see it: Node's `IncomingMessage`
 * (an Express `Request` in Express apps), typed loosely so that the library does not
 * tie users to one platform's request type.
 */
export type CorsRequest = IncomingMessage & {
  /** Express's parsed hostname, when the platform provides it. */
  readonly hostname?: string;
  readonly originalUrl?: string;
  /** The platform's own request, when the middleware runs on the raw one (Fastify). */
  [PLATFORM_REQUEST]?: { readonly hostname?: string };
};
