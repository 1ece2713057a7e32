import { CorsConfigurationError } from '../policy/cors-configuration.error.js';
import { secondCorsLayerProblem } from '../cors-layer-guard.js';
import type { FastifyInstanceLike } from './fastify-instance.js';

/** `@fastify/cors` as a plugin of its own, and as `FastifyAdapter.enableCors()` registers it. */
const CORS_PLUGINS = [
  { name: '@fastify/cors', layer: "register(@fastify/cors) (app.register or the Fastify instance's register)" },
  { name: 'nestjs-cors', layer: 'app.enableCors() (@fastify/cors)' },
] as const;

/**
 * Makes the Fastify app fail to start (`ready()`, hence `app.listen()`, rejects with
 * `CorsConfigurationError`) when `@fastify/cors` is registered next to the module. Plugins are
 * only known once loaded, so the check is an `onReady` hook.
 */
export function refuseFastifyCorsLayer(instance: FastifyInstanceLike): void {
  instance.addHook('onReady', function checkNoOtherCorsLayer(this: FastifyInstanceLike) {
    const found = CORS_PLUGINS.filter(({ name }) => this.hasPlugin(name));
    if (found.length > 0) return Promise.reject(new CorsConfigurationError(found.map(({ layer }) => secondCorsLayerProblem(layer))));
    return Promise.resolve();
  });
}
