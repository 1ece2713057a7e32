import type { CompiledPolicy } from '../../lib/policy/compiled-policy.js';
import { disabledPolicy } from '../../lib/policy/policy-compiler.js';
import type { RouteEntry } from '../../lib/routes/policy-table.js';

/** A named stand-in policy: tables only compare policies by identity. */
export const policy = (name: string): CompiledPolicy => disabledPolicy(name);

let order = 0;

/** A route entry in registration order (each call comes after the previous one). */
export const route = (method: string, path: string, p = policy(`${method} ${path}`)): RouteEntry => ({
  order: order++,
  method,
  path,
  policy: p,
  label: `${method} ${path}`,
  hosts: undefined,
  filterVersion: undefined,
});
