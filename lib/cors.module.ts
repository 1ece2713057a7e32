import { Module, type DynamicModule, type NestModule } from '@nestjs/common';
import { DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import { CORS_POLICY_MODULE_OPTIONS } from './cors.constants.js';
import { ConfigurableCorsModule, type CORS_MODULE_OPTIONS_TYPE } from './cors.module-definition.js';
import { CorsMiddleware } from './cors.middleware.js';
import { CorsOriginCache } from './origins/cors-origin-cache.js';
import { CorsPolicyMap } from './routes/cors-policy-map.js';
import { CorsPolicyExplorer } from './routes/cors-policy.explorer.js';
import { describeNonOptions, RejectedModuleOptions } from './policy/options-kind.js';
import { keepCorsVaryOn } from './headers/vary.js';
import { refuseEnableCors } from './cors-layer-guard.js';
import { refuseExpressCorsLayer } from './express/express-cors-layer.js';
import { isFastifyInstance } from './fastify/fastify-instance.js';
import { refuseFastifyCorsLayer } from './fastify/fastify-cors-layer.js';
import { installFastifyCorsHook } from './fastify/fastify-cors-hook.js';
import { installCorsResponseClass } from './fastify/fastify-response-class.js';
import { CorsGatewayGate } from './websockets/cors-gateway-gate.js';
import { CORS_DECISION_HUB, CorsDecisionHub } from './decisions/cors-decision-hub.js';
import { CorsUpgradeGate } from './upgrades/cors-upgrade-gate.js';

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
  providers: [
    CorsMiddleware,
    CorsOriginCache,
    CorsPolicyMap,
    CorsPolicyExplorer,
    CorsGatewayGate,
    CorsUpgradeGate,
    CorsDecisionHub,
    { provide: CORS_DECISION_HUB, useExisting: CorsDecisionHub },
  ],
  exports: [CorsOriginCache, CorsPolicyMap, CORS_POLICY_MODULE_OPTIONS, CorsDecisionHub, CORS_DECISION_HUB],
})
export class CorsModule extends ConfigurableCorsModule implements NestModule {
  private installed = false;

  /**
   * The module with these defaults (`forRoot()` alone: the `cors` package's defaults, as
   * `app.enableCors()`). Anything but an options object is reported when the app starts.
   */
  static override forRoot(options: typeof CORS_MODULE_OPTIONS_TYPE = {}): DynamicModule {
    const kind = describeNonOptions(options);
    if (kind === undefined) return super.forRoot(options);
    // Nest's builder would copy the keys of a function or a string into `{}`: the defaults, i.e. '*'.
    const definition = super.forRoot({});
    const rejected = { provide: CORS_POLICY_MODULE_OPTIONS, useValue: new RejectedModuleOptions(options, kind) };
    return { ...definition, providers: [...(definition.providers ?? []).filter((p) => !isOptionsProvider(p)), rejected] };
  }

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
    // Two CORS layers would silently override the policies: refused now and later (issue 15).
    const instance: unknown = adapter.getInstance();
    const fastify = isFastifyInstance(instance);
    if (fastify) refuseFastifyCorsLayer(instance);
    else refuseExpressCorsLayer(instance);
    refuseEnableCors(adapter);
    // On Fastify, ahead of middie when the adapter has its request-hook slot; else as Nest middleware.
    if (!fastify || !installFastifyCorsHook(adapter, this.middleware.handle)) adapter.use(this.middleware.use);
    // Express gives every response the app's `response` prototype: keep CORS Vary fields there once.
    const responsePrototype = adapter.getInstance<{ response?: object } | undefined>()?.response;
    if (responsePrototype !== undefined) keepCorsVaryOn(responsePrototype);
    // Fastify's responses are the server's own: the class the server builds them with writes the CORS headers with the head.
    if (fastify) installCorsResponseClass((instance as { server?: unknown }).server);
    this.installed = true;
  }
}

function isOptionsProvider(provider: unknown): boolean {
  return typeof provider === 'object' && provider !== null && (provider as { provide?: unknown }).provide === CORS_POLICY_MODULE_OPTIONS;
}
