import type { Logger } from '@nestjs/common';
import { DecisionReporter } from './cors-decision-reporter.js';
import type { CorsModuleOptions } from '../policy/cors-policy-options.interface.js';
import { RefusalExplainer } from './cors-refusal.js';
import { DEFAULT_REFUSAL_WINDOW_MS, SampledRefusalExplainer } from './sampled-refusal-explainer.js';

/** The refusal log `debug` asks for, or `undefined` (then the middleware explains nothing). */
export function createExplainer(debug: CorsModuleOptions['debug'], logger: Logger): RefusalExplainer | undefined {
  if (debug === undefined || debug === false) return undefined;
  if (debug === true || debug.refusals === 'all') return new RefusalExplainer(logger);
  return new SampledRefusalExplainer(logger, debug.windowMs ?? DEFAULT_REFUSAL_WINDOW_MS);
}

/** The reporter of `onDecision`, or `undefined` when it is unset (then no decision is built). */
export function createDecisionReporter(hook: CorsModuleOptions['onDecision'], logger: Logger): DecisionReporter | undefined {
  return hook === undefined ? undefined : new DecisionReporter(hook, logger);
}
