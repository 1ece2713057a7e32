import { Module, type NestModule } from '@nestjs/common';
import { DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import { CORS_POLICY_MODULE_OPTIONS } from './cors.constants.js';
import { ConfigurableCorsModule } from './cors.module-definition.js';
import { CorsMiddleware } from './cors.middleware.js';
import { CorsOriginCache } from './cors-origin-cache.js';
import { CorsPolicyMap } from './cors-policy-map.js';
import { CorsPolicyExplorer } from './cors-policy.explorer.js';
import { keepCorsVaryOn } from './vary.js';
import { CorsGatewayGate } from './websockets/cors-gateway-gate.js';

/**
 * Per-route CORS. Import it once in the app module; it installs its own middleware on
 * every path and method, ahead of guards (and of the body parser in `NestFactory.create` apps).
 *
 * @example
 * ```ts
 * @Module({
 *   imports: [CorsModule.forRoot({ origin: ['https://app.example.com'], credentials: true })],
 * })
 * export class AppModule {}
 * ```
 */
@Module({
  imports: [DiscoveryModule],
  providers: [CorsMiddleware, CorsOriginCache, CorsPolicyMap, CorsPolicyExplorer, CorsGatewayGate],
  exports: [CorsOriginCache, CorsPolicyMap, CORS_POLICY_MODULE_OPTIONS],
})
export class CorsModule extends ConfigurableCorsModule implements NestModule {
  private installed = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly middleware: CorsMiddleware,
  ) {
    super();
    // NestFactory.create apps have their HTTP adapter already: installing now puts the
    // middleware ahead of the body parser, so a malformed body's 400 carries CORS headers.
    this.install();
  }

  /** Apps from Test.createTestingModule get their adapter later; install before the routes then. */
  configure(): void {
    this.install();
  }

  private install(): void {
    // Typed as always there, but undefined until the app (not the module) is created.
    const adapter = this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined;
    if (this.installed || adapter === undefined) return;
    adapter.use(this.middleware.use);
    // Express gives every response the app's `response` prototype: keep CORS Vary fields there once.
    const responsePrototype = adapter.getInstance<{ response?: object } | undefined>()?.response;
    if (responsePrototype !== undefined) keepCorsVaryOn(responsePrototype);
    this.installed = true;
  }
}
