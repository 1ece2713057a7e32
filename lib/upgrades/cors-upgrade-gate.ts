import type { IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import type { CorsRequest } from '../cors-request.interface.js';
import type { DecisionReporter } from '../decisions/cors-decision-reporter.js';
import type { RefusalExplainer } from '../decisions/cors-refusal.js';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { findActualEntry, type RouteChoiceContext } from '../routes/route-choice.js';
import { CorsGatewayGate } from '../websockets/cors-gateway-gate.js';
import { judgeHandshake, type HandshakeVerdict } from '../websockets/handshake-verdict.js';
import { interceptUpgrades, refuseUpgrade } from './upgrade-interception.js';

/** What the upgrade gate judges with: the HTTP policy table and the module's observability. */
export interface UpgradeRuntime extends RouteChoiceContext {
  readonly explainer: RefusalExplainer | undefined;
  readonly decisions: DecisionReporter | undefined;
  /** `strict.appOrigins`, when declared: the own-origin exemption compares with them, never with `Host`. */
  readonly appOrigins: ReadonlySet<string> | undefined;
}

/** `0`: the app's own HTTP server; otherwise a gateway's own port. */
type ServerPort = number;

/**
 * The upgrade gate: every WebSocket upgrade that reaches an HTTP server of the app (its own, on
 * Express and Fastify, and each gateway's own-port server) is judged before any `upgrade`
 * listener sees it: GraphQL subscriptions, `@fastify/websocket` routes, raw `ws` servers and
 * gateways alike. The policy is the one the HTTP table gives the path (`paths`, a gateway's
 * policy, else the module defaults); a refused handshake gets 403 and its socket is closed.
 * Requests without `Origin` pass (non-browser clients). One decision per handshake.
 */
@Injectable()
export class CorsUpgradeGate {
  private runtime: UpgradeRuntime | undefined;

  constructor(private readonly gateways: CorsGatewayGate) {
    gateways.onOwnServer = (server, port) => this.install(server, port);
  }

  /** @internal Called once the policy table is built: upgrades are refused until then (fail closed). */
  activate(runtime: UpgradeRuntime): void {
    this.runtime = runtime;
  }

  /** @internal Guards the upgrades of `server` (once per server); `port` 0 for the app's own server. */
  install(server: unknown, port: ServerPort): void {
    interceptUpgrades(server, (request, socket, pass) => {
      const settle = (allowed: boolean) => (allowed ? pass() : refuseUpgrade(socket));
      const verdict = this.judge(request, port);
      if (typeof verdict === 'boolean') settle(verdict);
      else verdict.then(settle, () => refuseUpgrade(socket));
    });
  }

  private judge(request: IncomingMessage, port: ServerPort): boolean | Promise<boolean> {
    const runtime = this.runtime;
    if (runtime === undefined) return false;
    // A gateway of this library's adapters: its own (server-wide) check, which reports the decision.
    const gateway = this.gateways.upgradeCheck(port, pathOf(request));
    if (gateway !== undefined) return allowedOf(gateway(request, true));
    const match = runtime.table.match(request.url ?? '/', 'GET');
    const entry = findActualEntry(runtime, match, request, undefined);
    const policy = entry?.policy ?? match.fallback;
    const verdict = judgeHandshake([policy], request, runtime.appOrigins);
    if (runtime.explainer === undefined && runtime.decisions === undefined) return allowedOf(verdict);
    const observe = (settled: HandshakeVerdict) => this.observe(runtime, settled, policy, entry?.label, request);
    return verdict instanceof Promise ? verdict.then(observe) : observe(verdict);
  }

  /** `onDecision` (under an enabled policy) and the `debug` line of a refusal. */
  private observe(
    runtime: UpgradeRuntime,
    { allowed, reason }: HandshakeVerdict,
    policy: CompiledPolicy,
    route: string | undefined,
    request: CorsRequest,
  ): boolean {
    const origin = request.headers.origin;
    if (origin === undefined) return allowed;
    if (policy.enabled) runtime.decisions?.report(false, allowed, origin, 'GET', request, route, policy, reason);
    if (!allowed && runtime.explainer !== undefined) {
      const detail = policy.enabled
        ? ''
        : "CORS is off for this path: only the app's own pages and clients without Origin may open a WebSocket here";
      runtime.explainer.explain(reason ?? 'origin not trusted', origin, `WebSocket upgrade GET ${pathOf(request)}`, policy, detail);
    }
    return allowed;
  }
}

function allowedOf(verdict: HandshakeVerdict | Promise<HandshakeVerdict>): boolean | Promise<boolean> {
  return verdict instanceof Promise ? verdict.then((settled) => settled.allowed) : verdict.allowed;
}

/** The path of an upgrade, without query and trailing slashes (as gateway addresses are normalised). */
function pathOf(request: IncomingMessage): string {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  const path = (query === -1 ? url : url.slice(0, query)).replace(/\/+$/, '');
  return path === '' ? '/' : path;
}
