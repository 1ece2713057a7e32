import { CorsConfigurationError } from '../policy/cors-configuration.error.js';
import { CorsGatewayGate } from './cors-gateway-gate.js';
import type { CorsGatewayTransport } from './gateway-address.js';

interface AppLike {
  get(type: typeof CorsGatewayGate, options: { strict: false }): CorsGatewayGate;
}

/** The gate of the app an adapter is constructed with; a clear error when there is no app or no CorsModule. */
export function gateOfApp(app: unknown, adapter: string, transport: CorsGatewayTransport): CorsGatewayGate {
  let gate: CorsGatewayGate | undefined;
  try {
    gate =
      typeof (app as Partial<AppLike> | undefined)?.get === 'function'
        ? (app as AppLike).get(CorsGatewayGate, { strict: false })
        : undefined;
  } catch {
    gate = undefined;
  }
  if (gate === undefined) {
    throw new CorsConfigurationError([
      {
        option: adapter,
        declaredAt: `new ${adapter}(...)`,
        problem: 'needs the Nest application, with CorsModule imported, to find the CORS policies of the gateways',
        fix: `write app.useWebSocketAdapter(new ${adapter}(app)) with the app from NestFactory.create(), and import CorsModule.forRoot() in the app module`,
      },
    ]);
  }
  gate.useTransport(transport);
  return gate;
}
