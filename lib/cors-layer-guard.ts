import { CorsConfigurationError, type CorsConfigurationProblem } from './policy/cors-configuration.error.js';

/** Where the two-layers problem is reported: the app, not a policy. */
const DECLARED_AT = 'the application (main.ts or the test that creates it)';

/**
 * The problem of a second CORS layer next to `CorsModule`: both write `Access-Control-*` headers,
 * and the other layer's win (measured: `app.enableCors()` gives a refused origin
 * `Access-Control-Allow-Origin: *` on Express and on Fastify), so the module's policies would
 * silently not apply.
 */
export function secondCorsLayerProblem(layer: string): CorsConfigurationProblem {
  return {
    option: layer,
    declaredAt: DECLARED_AT,
    problem:
      'adds a second CORS layer next to CorsModule: both write Access-Control-* headers and its own win, ' +
      'so the per-route policies would not apply (a refused origin would get Access-Control-Allow-Origin: *)',
    fix:
      'remove it (and the cors option of NestFactory.create); CorsModule.forRoot(o) takes the same options as app.enableCors(o), ' +
      'and @CorsPolicy() sets them per route',
  };
}

type EnableCors = (options?: unknown) => void;
const GUARDED = Symbol('nestjs-cors-policy:enable-cors-refused');

/**
 * Makes `app.enableCors()` (which calls the adapter's `enableCors`, as does the `cors` option of
 * `NestFactory.create`) throw `CorsConfigurationError` from now on, on any platform.
 */
export function refuseEnableCors(adapter: object): void {
  const target = adapter as { enableCors?: EnableCors; [GUARDED]?: true };
  if (target[GUARDED] === true || typeof target.enableCors !== 'function') return;
  Object.defineProperty(target, GUARDED, { value: true });
  target.enableCors = () => {
    throw new CorsConfigurationError([secondCorsLayerProblem('app.enableCors()')]);
  };
}
