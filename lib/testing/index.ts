export {
  createCorsBrowser,
  type CorsBrowser,
  type CorsBrowserOptions,
  type CorsFetchInit,
  type CorsOutcome,
  type CorsRefusal,
} from './cors-browser.js';
export { assertCorsAllowed, assertCorsRefused, type CorsAllowedExpectation, type CorsRefusedExpectation } from './assertions.js';
export { recordCorsDecisions, type CorsDecisionRecorder, type CorsRecordedApp } from './decision-recorder.js';
export type { CorsExchange, CorsTestTarget } from './http-exchange.js';
export type { CorsDecision, CorsDecisionReason } from '../decisions/cors-decision.interface.js';
