import type { CorsPolicyOptions } from '../../lib/index.js';
import { TrustedOriginsSource } from '../origins/trusted-origins.source.js';

/**
 * The partners' policy, shared by their HTTP API and their WebSocket gateway, so that the
 * two never drift apart. Our own front end is a static rule, checked first without a database
 * query; partner origins come from the database, loaded whole by the TrustedOriginsSource.
 */
export const PARTNERS_CORS_POLICY: CorsPolicyOptions = { origin: ['https://app.example.com', TrustedOriginsSource], credentials: true };
