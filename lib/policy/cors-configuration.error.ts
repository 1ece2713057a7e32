/** One problem found in a CORS configuration. */
export interface CorsConfigurationProblem {
  /** The option, e.g. `origin`, `credentials`, `policies.partners.maxAge`. */
  readonly option: string;
  /** Where it was declared, e.g. `@CorsPolicy on OrdersController.update`. */
  readonly declaredAt: string;
  readonly problem: string;
  readonly fix: string;
}

/** Formats a problem as one line: where, which option, what is wrong, and the fix. */
export function formatProblem({ option, declaredAt, problem, fix }: CorsConfigurationProblem): string {
  return `${declaredAt}: option "${option}": ${problem}. Fix: ${fix}.`;
}

/**
 * Thrown while the app starts when a CORS policy is invalid or insecure. It lists every
 * problem found, each naming the option, where it was declared and the fix.
 */
export class CorsConfigurationError extends Error {
  constructor(readonly problems: readonly CorsConfigurationProblem[]) {
    super(
      `Invalid CORS configuration (nestjs-cors-policy), the app cannot start:\n` +
        problems.map((problem) => `  - ${formatProblem(problem)}`).join('\n'),
    );
    this.name = 'CorsConfigurationError';
  }
}
