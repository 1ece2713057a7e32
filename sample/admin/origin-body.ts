import { BadRequestException } from '@nestjs/common';
import { CORS_INVALIDATION_MAX_PAYLOAD_LENGTH, explainInvalidOrigin } from '../../lib/index.js';

/** What the admin handlers need of the response: Express's `res.status()` and Fastify's `reply.status()` alike. */
export interface StatusSetter {
  status(code: number): unknown;
}

/**
 * The `origin` of a POST body, or a 400 with the reason it is not a serialized origin. Other
 * instances ignore announcements longer than the bus accepts (CorsCacheInvalidator), so an
 * origin whose announcement would not fit is refused: `reserved` is what the announcement adds.
 */
export function originOfBody(body: unknown, reserved = 0): string {
  const origin = (body as { origin?: unknown } | undefined)?.origin;
  const problem = explainInvalidOrigin(origin);
  if (problem !== undefined) throw new BadRequestException(problem);
  const maxLength = CORS_INVALIDATION_MAX_PAYLOAD_LENGTH - reserved;
  if ((origin as string).length > maxLength) throw new BadRequestException(`"origin" is longer than ${maxLength} characters`);
  return origin as string;
}
