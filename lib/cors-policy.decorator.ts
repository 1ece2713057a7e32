import { Reflector } from '@nestjs/core';
import { CORS_POLICY_METADATA } from './cors.constants.js';
import type { CorsPolicyArgument } from './policy/cors-policy-options.interface.js';
import { describeNonOptions } from './policy/options-kind.js';

/**
 * Sets the CORS policy of a controller or of one handler.
 *
 * - `@CorsPolicy({ ... })`: fields that replace, one by one, those of the level above
 *   (handler over controller over module defaults; arrays are replaced, never concatenated).
 * - `@CorsPolicy('name')`: a named policy from `CorsModule.forRoot({ policies })`, which
 *   replaces the module defaults (and, on a handler, the controller's policy).
 * - `@CorsPolicy(false)`: no CORS headers at all for what it covers, unless a handler sets
 *   a policy again.
 *
 * Every policy is validated when the app starts; a wrong one stops it with a message
 * naming the option, the `Controller.handler` and the fix.
 *
 * @example
 * ```ts
 * @Controller('orders')
 * @CorsPolicy({ origin: PartnerOrigins, credentials: true })
 * export class OrdersController {
 *   @Get('catalogue') @CorsPolicy({ origin: '*', credentials: false }) catalogue() {}
 *   @Post('webhook') @CorsPolicy(false) webhook() {}
 * }
 * ```
 */
export const CorsPolicy = Reflector.createDecorator<CorsPolicyArgument>({
  key: CORS_POLICY_METADATA,
  // A copy, so that mutating the object passed to the decorator later changes nothing. Anything
  // else (a delegate, a list, null) is kept as it is, for startup to refuse it by its kind.
  transform: (argument) => (describeNonOptions(argument) === undefined ? Object.freeze({ ...(argument as object) }) : argument),
});
