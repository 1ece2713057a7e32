import { CorsConfigurationError } from '../policy/cors-configuration.error.js';
import { secondCorsLayerProblem } from '../cors-layer-guard.js';

/** The name of the function the `cors` package returns, as Express's router stack shows it. */
const CORS_PACKAGE_MIDDLEWARE = 'corsMiddleware';

interface ExpressLike {
  readonly router?: { readonly stack?: ReadonlyArray<{ readonly name?: string }> };
  readonly _router?: { readonly stack?: ReadonlyArray<{ readonly name?: string }> };
}

/**
 * Throws `CorsConfigurationError` when the `cors` package already runs in this Express app
 * (`app.enableCors()` or `app.use(cors())` called before the module installed itself, as in a
 * `Test.createTestingModule` app); later calls of `app.enableCors()` are refused by `refuseEnableCors`.
 */
export function refuseExpressCorsLayer(instance: unknown): void {
  if (typeof instance !== 'function' && (typeof instance !== 'object' || instance === null)) return;
  const app = instance as ExpressLike;
  // Express 5 has `router`; Express 4 had `_router`.
  const stack = app.router?.stack ?? app._router?.stack ?? [];
  if (stack.some((layer) => layer.name === CORS_PACKAGE_MIDDLEWARE)) {
    throw new CorsConfigurationError([secondCorsLayerProblem('app.enableCors() / app.use(cors())')]);
  }
}
