import type { INestApplication } from '@nestjs/common';
import { CORS_ORIGIN_VERDICT, CorsMiddleware } from './cors.middleware.js';
import type { CorsRequest } from './cors-request.interface.js';

/**
 * One source of truth for CORS and NestJS 12's CSRF protection: the `exclude` predicate
 * of `app.enableCsrfProtection()` that lets a cross-origin, state-changing request through
 * exactly when the CORS policy of its route allows its origin (resolvers included), and
 * no other. Do not list `trustedOrigins` next to it: they would trust more origins.
 *
 * In `NestFactory.create` apps the CORS middleware runs before the CSRF check and hands it
 * its verdict, resolvers included. Where the CSRF check runs first (apps from
 * `Test.createTestingModule`), the verdict is computed synchronously: static rules and
 * cached resolver answers; anything else is refused.
 *
 * @example
 * ```ts
 * const app = await NestFactory.create(AppModule);
 * app.enableCsrfProtection({ exclude: corsCsrfExclusion(app) });
 * ```
 * @throws Error on NestJS 11, which has no `enableCsrfProtection()`: use `strict` instead.
 */
export function corsCsrfExclusion(app: INestApplication): (request: CorsRequest) => boolean {
  if (typeof (app as { enableCsrfProtection?: unknown }).enableCsrfProtection !== 'function') {
    throw new Error(
      'corsCsrfExclusion(): this NestJS version has no app.enableCsrfProtection() (it arrived in NestJS 12). ' +
        'On NestJS 11, use CorsModule.forRoot({ strict: { appOrigins: [...] } }) to refuse requests from origins your CORS policies refuse.',
    );
  }
  const middleware = app.get(CorsMiddleware, { strict: false });
  middleware.recordsVerdicts = true;
  return (request) => (request as CorsRequest & { [CORS_ORIGIN_VERDICT]?: boolean })[CORS_ORIGIN_VERDICT] ?? middleware.verdictNow(request);
}
