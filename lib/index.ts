export { CorsModule } from './cors.module.js';
export type { CorsModuleExtras } from './cors.module-definition.js';
export { CorsPolicy } from './cors-policy.decorator.js';
export { CorsOriginCache, type CorsInvalidateOptions } from './origins/cors-origin-cache.js';
export {
  CorsCacheInvalidator,
  CORS_INVALIDATION_MAX_PAYLOAD_LENGTH,
  type CorsCacheInvalidatorOptions,
} from './origins/cors-invalidation-bus.js';
export { corsCsrfExclusion } from './cors-csrf.js';
export { explainInvalidOrigin } from './origins/origin-validation.js';
export { CorsPolicyMap, type CorsPolicyMapEntry, type CorsPolicyMapField } from './routes/cors-policy-map.js';
export type { CorsPolicyMapGateway } from './routes/cors-policy-map.js';
export type { CorsGatewayTransport } from './websockets/gateway-address.js';
export { CorsConfigurationError, type CorsConfigurationProblem } from './policy/cors-configuration.error.js';
export { CORS_POLICY_METADATA, CORS_POLICY_MODULE_OPTIONS } from './cors.constants.js';
export { InjectCorsPolicyOptions } from './inject-cors-policy-options.decorator.js';
export type { CorsOriginResolver } from './origins/cors-origin-resolver.interface.js';
export type { CorsOriginSource } from './origins/cors-origin-source.interface.js';
export type { CorsRequest } from './cors-request.interface.js';
export type { CorsDecision, CorsDecisionHook, CorsDecisionReason } from './decisions/cors-decision.interface.js';
export { CORS_DECISION_HUB, CorsDecisionHub } from './decisions/cors-decision-hub.js';
export type {
  CorsDebugOptions,
  CorsModuleOptions,
  CorsOriginCallback,
  CorsOriginFunction,
  CorsOriginRule,
  CorsPolicyArgument,
  CorsPolicyOptions,
  CorsResolverCacheOptions,
  CorsStrictOptions,
  CorsStaticOriginAnswer,
} from './policy/cors-policy-options.interface.js';
