import type { CorsPolicyOptions } from '../../lib/index.js';
import { TrustedOrigins } from '../origins/trusted-origins.resolver.js';

/**
 * The partners' policy, shared by their HTTP API and their WebSocket gateway, so that the
 * two never drift apart. Our own front end is a static rule, checked first without a database
 * query; partner origins come from the database through the TrustedOrigins resolver.
 */
export const PARTNERS_CORS_POLICY: CorsPolicyOptions = { origin: ['https://app.example.com', TrustedOrigins], credentials: true };
