import { Injectable } from '@nestjs/common';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { CORS_PACKAGE_DEFAULTS } from '../cors.constants.js';
import type { CorsOriginRule } from '../policy/cors-policy-options.interface.js';
import { isResolverClass, isSourceClass } from '../origins/origin-checks.js';
import { POLICY_FIELDS, type PolicyField } from '../policy/policy-merge.js';
import type { PathPolicyEntry } from './path-policies.js';
import type { RouteEntry } from './policy-table.js';
import type { CorsGatewayGate, GatewayEntry } from '../websockets/cors-gateway-gate.js';

/** Where a field's value comes from when no level sets it. */
export const CORS_PACKAGE_DEFAULT_SOURCE = 'cors package default';

/** One field of an effective policy and where it was declared. */
export interface CorsPolicyMapField {
  /** The value, printable: origin rules as text (`RegExp` source, `function name`, `resolver Name`, `source Name`; a tenant-scoped class adds ` (scoped)`). */
  readonly value: string | number | boolean | readonly string[] | null;
  /** `CorsModule.forRoot (module defaults)`, `CorsModule.forRoot policies.name`, `@CorsPolicy on Controller[.handler]`, or `cors package default`. */
  readonly source: string;
}

/** Where a WebSocket gateway's handshakes arrive, and which adapter checks them (entries with `method: 'WS'`). */
export interface CorsPolicyMapGateway {
  /** `socket.io` (`CorsIoAdapter`), `ws` (`CorsWsAdapter`), or `none`: no adapter of this library checks its handshakes. */
  readonly adapter: 'socket.io' | 'ws' | 'none';
  /** `0`: the app's HTTP server. */
  readonly port: number;
  /** The socket.io namespace (`/`, `/partners`); `undefined` for `ws` and for dynamic namespaces. */
  readonly namespace: string | undefined;
}

/**
 * One route with its effective CORS policy, one `paths` pattern (a row without `handler`,
 * listed after the routes, in declaration order), or one WebSocket gateway (`method: 'WS'`).
 */
export interface CorsPolicyMapEntry {
  /** `GET`, `POST`..., `ALL`; `ALL` on a `paths` row (every method no route serves there); `WS` for a WebSocket gateway. */
  readonly method: string;
  /** The full path as Nest serves it (prefix, versions, RouterModule path included), or the `paths` pattern as declared. */
  readonly path: string;
  /** `Controller.handler`; absent on a `paths` row, since no controller serves it. */
  readonly handler?: string;
  /**
   * On a route row: the first `paths` pattern that also matches the route's path. The route's
   * own policy (these fields) applies to it; the pattern covers only the methods no handler serves.
   */
  readonly coveredByPath?: string;
  /** `false` when CORS is off on this route; `disabledBy` says where. */
  readonly enabled: boolean;
  readonly disabledBy?: string;
  /** Each policy field with its source; absent when CORS is off. */
  readonly fields?: Readonly<Record<PolicyField, CorsPolicyMapField>>;
  /**
   * Present on gateway entries (`method: 'WS'`, `path` the server's path, `handler` the gateway
   * class). There `enabled: false` means that only same-origin pages and clients without `Origin` connect.
   */
  readonly gateway?: CorsPolicyMapGateway;
  /**
   * On a `paths` row: `true` when the pattern also governs the WebSocket upgrades of its paths
   * (GraphQL subscriptions, raw `ws` servers, `@fastify/websocket` routes), which the upgrade
   * gate judges with this policy; absent where a gateway served by this library's adapters
   * owns the path (its own policy decides) or the app has no HTTP server.
   */
  readonly upgrades?: true;
}

/**
 * Every route of the app with its effective CORS policy and where each field came from
 * (module defaults, a named policy, the controller or the handler). Built at startup; with
 * `debug: true` it is also printed as a table.
 *
 * @example
 * ```ts
 * @Get('cors-policies') policies() { return this.policyMap.list(); }
 * ```
 */
@Injectable()
export class CorsPolicyMap {
  private routes: readonly RouteEntry[] = [];
  private paths: readonly PathPolicyEntry[] = [];
  private entries: readonly CorsPolicyMapEntry[] | undefined;
  private gateways: readonly (RouteLike & { gateway: CorsPolicyMapGateway })[] = [];
  private upgradesGuarded = false;

  /** @internal Called once by the module when the policy table is built. */
  load(routes: readonly RouteEntry[], paths: readonly PathPolicyEntry[] = []): void {
    this.routes = routes;
    this.paths = paths;
    this.entries = undefined;
  }

  /** @internal Called once by the module with the WebSocket gateways, listed after the routes and patterns. */
  loadGateways(gateways: readonly GatewayEntry[], gate: CorsGatewayGate): void {
    this.gateways = gateways.map(({ label, address, policy }) => ({
      method: 'WS',
      path: address.path,
      label,
      policy,
      gateway: { adapter: gate.servedBy(address) ?? 'none', port: address.port, namespace: address.namespace },
    }));
    this.entries = undefined;
  }

  /** @internal Called by the module when the upgrade gate guards the app's HTTP server. */
  loadUpgrades(guarded: boolean): void {
    this.upgradesGuarded = guarded;
    this.entries = undefined;
  }

  /**
   * Every route, in the order Nest registers them, then every `paths` pattern, then every
   * WebSocket gateway. Built on first use; rows sharing a policy share its fields.
   */
  list(): readonly CorsPolicyMapEntry[] {
    if (this.entries === undefined) {
      const fieldsByPolicy = new Map<CompiledPolicy, Record<PolicyField, CorsPolicyMapField>>();
      const routes = this.routes.map((route) => {
        const row = describeRoute(route, fieldsByPolicy);
        // The route's path as written ("/users/:id") against the patterns: a pattern matching it covers it.
        const coveredBy = this.paths.find((path) => path.regexp.test(route.path));
        return coveredBy === undefined ? row : { ...row, coveredByPath: coveredBy.pattern };
      });
      const paths = this.paths.map((path) => {
        const row = describePolicy({ method: 'ALL', path: path.pattern }, path.policy, fieldsByPolicy);
        return this.governsUpgrades(path) ? { ...row, upgrades: true as const } : row;
      });
      const gateways = this.gateways.map((gateway) => ({ ...describeRoute(gateway, fieldsByPolicy), gateway: gateway.gateway }));
      this.entries = [...routes, ...paths, ...gateways];
    }
    return this.entries;
  }

  /** Whether the upgrade gate judges this pattern's upgrades with its policy (no gateway of ours owns the path). */
  private governsUpgrades(path: PathPolicyEntry): boolean {
    if (!this.upgradesGuarded) return false;
    return !this.gateways.some(({ gateway, path: served }) => gateway.adapter !== 'none' && gateway.port === 0 && path.regexp.test(served));
  }

  /** The map as a plain-text table, one line per route. */
  toTable(): string {
    const rows = this.list().map((entry) => [
      entry.method,
      entry.path,
      describeHandler(entry),
      entry.enabled && entry.fields ? describeField(entry.fields.origin) : `off (${entry.disabledBy})`,
      entry.fields ? describeField(entry.fields.credentials) : '',
      entry.fields ? describeField(entry.fields.methods) : '',
      entry.fields ? describeField(entry.fields.maxAge) : '',
    ]);
    return formatTable(['method', 'path', 'handler', 'origin', 'credentials', 'methods', 'maxAge'], rows);
  }
}

type RouteLike = Pick<RouteEntry, 'method' | 'path' | 'label' | 'policy'>;

function describeRoute(route: RouteLike, fieldsByPolicy: Map<CompiledPolicy, Record<PolicyField, CorsPolicyMapField>>): CorsPolicyMapEntry {
  return describePolicy({ method: route.method, path: route.path, handler: route.label }, route.policy, fieldsByPolicy);
}

function describePolicy(
  base: Pick<CorsPolicyMapEntry, 'method' | 'path' | 'handler'>,
  policy: CompiledPolicy,
  fieldsByPolicy: Map<CompiledPolicy, Record<PolicyField, CorsPolicyMapField>>,
): CorsPolicyMapEntry {
  if (!policy.enabled) return { ...base, enabled: false, disabledBy: policy.describedAs };
  let fields = fieldsByPolicy.get(policy);
  if (fields === undefined) {
    fields = Object.fromEntries(POLICY_FIELDS.map((field) => [field, describePolicyField(policy, field)])) as Record<
      PolicyField,
      CorsPolicyMapField
    >;
    fieldsByPolicy.set(policy, fields);
  }
  return { ...base, enabled: true, fields };
}

function describePolicyField(policy: CompiledPolicy, field: PolicyField): CorsPolicyMapField {
  const source = policy.sources[field] ?? CORS_PACKAGE_DEFAULT_SOURCE;
  const declared = policy.options[field] ?? (CORS_PACKAGE_DEFAULTS as Record<string, unknown>)[field];
  if (field === 'origin') {
    const rules = (Array.isArray(declared) ? declared : [declared]) as CorsOriginRule[];
    const scopedBy = policy.scope?.scopedBy ?? [];
    return { value: rules.map((rule) => describeOriginRule(rule, scopedBy)), source };
  }
  if (declared === undefined)
    return { value: field === 'credentials' || field === 'dangerouslyAllowPublicSuffixSubdomains' ? false : null, source };
  return { value: Array.isArray(declared) ? declared.map(String) : (declared as string | number | boolean), source };
}

/** A scoped class reads `resolver TenantOrigins (scoped)`: its answers depend on the request's tenant. */
function describeOriginRule(rule: CorsOriginRule, scopedBy: readonly string[]): string {
  if (rule instanceof RegExp) return String(rule);
  if (typeof rule === 'function') {
    const scoped = scopedBy.includes(rule.name) ? ' (scoped)' : '';
    if (isSourceClass(rule)) return `source ${rule.name}${scoped}`;
    return isResolverClass(rule) ? `resolver ${rule.name}${scoped}` : `function ${rule.name || '(anonymous)'}`;
  }
  return String(rule);
}

function describeHandler({ handler, path, coveredByPath, upgrades }: CorsPolicyMapEntry): string {
  if (handler === undefined) return upgrades ? `paths['${path}'] (also WebSocket upgrades)` : `paths['${path}']`;
  return coveredByPath === undefined ? handler : `${handler} (over paths['${coveredByPath}'])`;
}

function describeField(field: CorsPolicyMapField): string {
  const value = Array.isArray(field.value) ? field.value.join(', ') : String(field.value);
  return `${value} [${field.source}]`;
}

function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column]))
      .join(' | ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...rows.map(line)].join('\n');
}
