import { Injectable } from '@nestjs/common';
import type { CompiledPolicy } from './compiled-policy.js';
import { CORS_PACKAGE_DEFAULTS } from './cors.constants.js';
import type { CorsOriginRule } from './cors-policy-options.interface.js';
import { isResolverClass } from './origin-checks.js';
import { POLICY_FIELDS, type PolicyField } from './policy-merge.js';
import type { RouteEntry } from './policy-table.js';
import type { CorsGatewayGate, GatewayEntry } from './websockets/cors-gateway-gate.js';

/** Where a field's value comes from when no level sets it. */
export const CORS_PACKAGE_DEFAULT_SOURCE = 'cors package default';

/** One field of an effective policy and where it was declared. */
export interface CorsPolicyMapField {
  /** The value, printable: origin rules as text (`RegExp` source, `function name`, `resolver Name`). */
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

/** One route (or WebSocket gateway) with its effective CORS policy. */
export interface CorsPolicyMapEntry {
  /** `GET`, `POST`..., `ALL`; `WS` for a WebSocket gateway. */
  readonly method: string;
  /** The full path as Nest serves it (prefix, versions, RouterModule path included). */
  readonly path: string;
  /** `Controller.handler`. */
  readonly handler: string;
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
  private entries: readonly CorsPolicyMapEntry[] | undefined;
  private gateways: readonly (RouteLike & { gateway: CorsPolicyMapGateway })[] = [];

  /** @internal Called once by the module when the policy table is built. */
  load(routes: readonly RouteEntry[]): void {
    this.routes = routes;
    this.entries = undefined;
  }

  /** @internal Called once by the module with the WebSocket gateways, listed after the routes. */
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

  /** Every route, in the order Nest registers them, then every WebSocket gateway. Built on first use; routes sharing a policy share its fields. */
  list(): readonly CorsPolicyMapEntry[] {
    if (this.entries === undefined) {
      const fieldsByPolicy = new Map<CompiledPolicy, Record<PolicyField, CorsPolicyMapField>>();
      this.entries = [
        ...this.routes.map((route) => describeRoute(route, fieldsByPolicy)),
        ...this.gateways.map((gateway) => ({ ...describeRoute(gateway, fieldsByPolicy), gateway: gateway.gateway })),
      ];
    }
    return this.entries;
  }

  /** The map as a plain-text table, one line per route. */
  toTable(): string {
    const rows = this.list().map((entry) => [
      entry.method,
      entry.path,
      entry.handler,
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
  const { policy } = route;
  const base = { method: route.method, path: route.path, handler: route.label };
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
    return { value: rules.map(describeOriginRule), source };
  }
  if (declared === undefined) return { value: field === 'credentials' ? false : null, source };
  return { value: Array.isArray(declared) ? declared.map(String) : (declared as string | number | boolean), source };
}

function describeOriginRule(rule: CorsOriginRule): string {
  if (rule instanceof RegExp) return String(rule);
  if (typeof rule === 'function') return isResolverClass(rule) ? `resolver ${rule.name}` : `function ${rule.name || '(anonymous)'}`;
  return String(rule);
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
