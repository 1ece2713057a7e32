import {
  IsBoolean,
  IsInt,
  IsObject,
  IsOptional,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
  validateSync,
  type ValidationError,
} from 'class-validator';
import type { CorsConfigurationProblem } from './cors-configuration.error.js';

function isStringOrStringArray(value: unknown): boolean {
  return typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
}

function isOriginRule(value: unknown): boolean {
  return ['boolean', 'string', 'function'].includes(typeof value) || value instanceof RegExp;
}

const IsStringOrStringArray = (): PropertyDecorator =>
  ValidateBy({
    name: 'isStringOrStringArray',
    validator: {
      validate: isStringOrStringArray,
      defaultMessage: () => 'must be a string (comma-separated) or an array of strings',
    },
  });

const IsOriginOption = (): PropertyDecorator =>
  ValidateBy({
    name: 'isOriginOption',
    validator: {
      validate: (value: unknown) => (Array.isArray(value) ? value.every(isOriginRule) : isOriginRule(value)),
      defaultMessage: () => 'must be true, false, a string, a RegExp, a function, a resolver class, or an array of those',
    },
  });

const IsStrictOption = (): PropertyDecorator =>
  ValidateBy({
    name: 'isStrictOption',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'boolean' ||
        (typeof value === 'object' &&
          value !== null &&
          Object.keys(value).every((key) => key === 'appOrigins') &&
          ((value as { appOrigins?: unknown }).appOrigins === undefined ||
            isStringOrStringArray((value as { appOrigins?: unknown }).appOrigins))),
      defaultMessage: () => 'must be true, false or { appOrigins: string[] }',
    },
  });

const IsDebugOption = (): PropertyDecorator =>
  ValidateBy({
    name: 'isDebugOption',
    validator: {
      validate: (value: unknown) => typeof value === 'boolean' || isDebugObject(value),
      defaultMessage: () =>
        "must be true, false, { refusals: 'all' } or { refusals: 'sampled', windowMs?: a whole number of ms, at least 1 }",
    },
  });

function isDebugObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { refusals, windowMs } = value as { refusals?: unknown; windowMs?: unknown };
  if (!Object.keys(value).every((key) => key === 'refusals' || key === 'windowMs')) return false;
  if (refusals === 'all') return windowMs === undefined;
  return refusals === 'sampled' && (windowMs === undefined || (Number.isInteger(windowMs) && (windowMs as number) >= 1));
}

const IsFunctionOption = (): PropertyDecorator =>
  ValidateBy({
    name: 'isFunctionOption',
    validator: { validate: (value: unknown) => typeof value === 'function', defaultMessage: () => 'must be a function' },
  });

/** The shape of a policy, checked with class-validator before its meaning is checked. */
export class CorsPolicyShape {
  @IsOptional() @IsOriginOption() origin?: unknown;
  @IsOptional() @IsStringOrStringArray() methods?: unknown;
  @IsOptional() @IsStringOrStringArray() allowedHeaders?: unknown;
  @IsOptional() @IsStringOrStringArray() exposedHeaders?: unknown;
  @IsOptional() @IsBoolean() credentials?: unknown;
  @IsOptional() @IsInt() @Min(0) maxAge?: unknown;
  @IsOptional() @IsBoolean() preflightContinue?: unknown;
  @IsOptional() @IsInt() @Min(200) @Max(299) optionsSuccessStatus?: unknown;
  @IsOptional() @IsBoolean() dangerouslyAllowPublicSuffixSubdomains?: unknown;
}

class ResolverCacheShape {
  @IsOptional() @IsInt() @Min(0) ttlMs?: unknown;
  @IsOptional() @IsInt() @Min(1) maxEntries?: unknown;
}

/** The shape of the module options: a policy plus module-wide settings. */
export class CorsModuleShape extends CorsPolicyShape {
  @IsOptional() @IsObject() policies?: unknown;
  @IsOptional() @IsDebugOption() debug?: unknown;
  @IsOptional() @IsObject() @ValidateNested() resolverCache?: unknown;
  @IsOptional() @IsInt() @Min(1) resolverTimeoutMs?: unknown;
  @IsOptional() @IsInt() @Min(1) resolverMaxInFlight?: unknown;
  @IsOptional() @IsInt() @Min(0) resolverMaxQueued?: unknown;
  @IsOptional() @IsStrictOption() strict?: unknown;
  @IsOptional() @IsObject() paths?: unknown;
  @IsOptional() @IsFunctionOption() onDecision?: unknown;
}

const FIXES: Record<string, string> = {
  isInt: 'use a whole number',
  min: 'use a larger number',
  max: 'use a smaller number',
  isBoolean: 'use true or false',
  isDebugOption: "use debug: true while developing, or debug: { refusals: 'sampled', windowMs: 60000 } in production",
  isFunctionOption: 'pass a function (decision) => void',
  whitelistValidation: 'remove it, or use one of the documented option names (the `cors` package names)',
  optionsSuccessStatus: 'use a status between 200 and 299, e.g. 204',
};

function toProblems(errors: readonly ValidationError[], declaredAt: string, prefix: string): CorsConfigurationProblem[] {
  return errors.flatMap((error) => {
    const option = prefix + error.property;
    const nested = toProblems(error.children ?? [], declaredAt, `${option}.`);
    const own = Object.entries(error.constraints ?? {}).map(([constraint, message]) => ({
      option,
      declaredAt,
      problem:
        constraint === 'whitelistValidation'
          ? 'is not an option of nestjs-cors-policy'
          : `${message.replace(`${error.property} `, '')} (got ${describeValue(error.value)})`,
      fix:
        (error.property === 'optionsSuccessStatus' && FIXES.optionsSuccessStatus) ||
        FIXES[constraint] ||
        'see the option table in the README',
    }));
    return [...own, ...nested];
  });
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  return String(value);
}

/** Checks the shape of an options object; `shape` is `CorsPolicyShape` or `CorsModuleShape`. */
export function checkShape(shape: typeof CorsPolicyShape, options: object, declaredAt: string, prefix = ''): CorsConfigurationProblem[] {
  const target = Object.assign(new shape(), options);
  if ('resolverCache' in target && target.resolverCache && typeof target.resolverCache === 'object') {
    target.resolverCache = Object.assign(new ResolverCacheShape(), target.resolverCache);
  }
  const errors = validateSync(target, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false });
  return toProblems(errors, declaredAt, prefix);
}
