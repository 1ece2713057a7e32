import { Inject, Injectable, Logger } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { CompiledPolicy } from '../policy/compiled-policy.js';
import { CORS_LOGGER_CONTEXT, CORS_POLICY_MODULE_OPTIONS } from '../cors.constants.js';
import type { CorsModuleOptions } from '../policy/cors-policy-options.interface.js';
import type { DecisionReporter } from '../decisions/cors-decision-reporter.js';
import type { RefusalExplainer } from '../decisions/cors-refusal.js';
import { createExplainer } from '../decisions/observability.js';
import type { CorsRequest } from '../cors-request.interface.js';
import { describeAddress, sameServer, type CorsGatewayTransport, type GatewayAddress } from './gateway-address.js';
import type { GatewayCheckContext } from './gateway-policies.js';
import { judgeHandshake, type HandshakeVerdict } from './handshake-verdict.js';

/** One gateway with its compiled policy, ready for handshakes. */
export interface GatewayEntry {
  /** The gateway class name. */
  readonly label: string;
  readonly address: GatewayAddress;
  /** A `RegExp` or function namespace: checked per namespace by that gateway's own policy. */
  readonly dynamicNamespace: boolean;
  /** The namespace as `@WebSocketGateway()` declares it (the `RegExp` or function of a dynamic one). */
  readonly declaredNamespace: unknown;
  readonly policy: CompiledPolicy;
}

/** Checks one handshake; `explain` logs a refusal when `debug` is on. */
export type HandshakeCheck = (request: CorsRequest, explain: boolean) => HandshakeVerdict | Promise<HandshakeVerdict>;

/** Which gateways a check covers: those of one namespace, or every gateway of the server. */
export type HandshakeScope = 'namespace' | 'server';

/**
 * Where the upgrade gate leaves the server-wide verdict it already reported on a handshake to a
 * gateway, so that the adapter's own server-wide check does not judge and report it twice.
 */
const SERVER_VERDICT = Symbol('nestjs-cors-policy:server-verdict');
type JudgedRequest = CorsRequest & { [SERVER_VERDICT]?: HandshakeVerdict };

const NOT_READY: HandshakeVerdict = { allowed: false, policy: undefined };

/**
 * The handshake gate shared by `CorsIoAdapter` and `CorsWsAdapter`, platform-neutral. Nest
 * creates gateway servers before `onModuleInit` builds the policies, so the adapters install
 * their hooks at once and every handshake is refused until `activate()`.
 */
@Injectable()
export class CorsGatewayGate {
  private readonly logger = new Logger(CORS_LOGGER_CONTEXT);
  private entries: readonly GatewayEntry[] | undefined;
  private explainer: RefusalExplainer | undefined;
  private decisions: DecisionReporter | undefined;
  private appOrigins: ReadonlySet<string> | undefined;
  private readonly servers: { transport: CorsGatewayTransport; address: GatewayAddress }[] = [];
  /** The adapter the app created, if any (each registers itself). */
  transport: CorsGatewayTransport | undefined;

  constructor(
    @Inject(CORS_POLICY_MODULE_OPTIONS) private readonly options: CorsModuleOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** @internal What the startup checks need: this gate, and whether the app serves gateways at all. */
  checkContext(defaultsLabel: string): GatewayCheckContext {
    // Typed as always there, but undefined in application contexts (no HTTP server, no gateways).
    const servesGateways = (this.adapterHost.httpAdapter as HttpAdapterHost['httpAdapter'] | undefined) !== undefined;
    return { gate: this, servesGateways, defaultsLabel };
  }

  /** @internal Called by an adapter when it is constructed. */
  useTransport(transport: CorsGatewayTransport): void {
    this.transport = transport;
  }

  /** @internal Set by the upgrade gate: told of each own-port HTTP server an adapter creates, to guard its upgrades too. */
  onOwnServer: ((server: unknown, port: number) => void) | undefined;

  /**
   * @internal Called by an adapter for each gateway server (and namespace) it creates;
   * `httpServer` is the server it listens on when that is its own (a gateway with a `port`).
   */
  registerServer(transport: CorsGatewayTransport, address: GatewayAddress, httpServer?: unknown): void {
    this.servers.push({ transport, address });
    if (httpServer !== undefined && address.port !== 0) this.onOwnServer?.(httpServer, address.port);
  }

  /**
   * @internal The server-wide check of the gateway server of this library's adapter that serves
   * upgrades to `path` on `port`, or `undefined` when none does. Its verdict is kept on the
   * request, so the adapter's own server-wide check reuses it instead of reporting a second decision.
   */
  upgradeCheck(port: number, path: string): HandshakeCheck | undefined {
    const server = this.servers.find((candidate) => candidate.address.port === port && candidate.address.path === path);
    if (server === undefined) return undefined;
    const check = this.checker(server.transport, server.address, 'server');
    return (request, explain) => {
      const keep = (verdict: HandshakeVerdict) => ((request as JudgedRequest)[SERVER_VERDICT] = verdict);
      const verdict = check(request, explain);
      return verdict instanceof Promise ? verdict.then(keep) : keep(verdict);
    };
  }

  /** The adapter of this library that serves a gateway's server, or `undefined` when none does. */
  servedBy(address: GatewayAddress): CorsGatewayTransport | undefined {
    return this.servers.find((server) => sameServer(server.address, address))?.transport;
  }

  /**
   * @internal Called once the policy table is built: handshakes are judged from now on.
   * `appOrigins`: `strict.appOrigins`, when declared (the own-origin exemption then uses them).
   */
  activate(entries: readonly GatewayEntry[], appOrigins?: ReadonlySet<string>): void {
    this.appOrigins = appOrigins;
    this.explainer = createExplainer(this.options.debug, this.logger);
    this.entries = entries;
  }

  /** @internal The reporter of the module's `onDecision` and the `CorsDecisionHub`'s listeners, rebuilt when they change. */
  reportDecisionsTo(decisions: DecisionReporter | undefined): void {
    this.decisions = decisions;
  }

  /**
   * The check of the handshakes that reach `address`: with scope `namespace`, the policies of the
   * gateways of that namespace (of a dynamic one: of the gateway that declares `declaredNamespace`);
   * with `server`, of every gateway on the server (an origin that none of them trusts is refused
   * before any namespace is joined).
   */
  checker(transport: CorsGatewayTransport, address: GatewayAddress, scope: HandshakeScope, declaredNamespace?: unknown): HandshakeCheck {
    let selected: readonly GatewayEntry[] | undefined;
    return (request, explain) => {
      const entries = this.entries;
      if (entries === undefined) return NOT_READY;
      const judged = scope === 'server' ? (request as JudgedRequest)[SERVER_VERDICT] : undefined;
      if (judged !== undefined) return judged;
      selected ??= entries.filter(
        (entry) =>
          sameServer(entry.address, address) &&
          (scope === 'server' ||
            transport === 'ws' ||
            // A dynamic namespace is its gateway's: the same RegExp or function, whatever namespace name matched it.
            (entry.dynamicNamespace ? entry.declaredNamespace === declaredNamespace : entry.address.namespace === address.namespace)),
      );
      const gateways = selected;
      const verdict = judgeHandshake(
        gateways.map((entry) => entry.policy),
        request,
        this.appOrigins,
      );
      if (!explain || (this.explainer === undefined && this.decisions === undefined)) return verdict;
      // socket.io asks the server first, then the namespace: the server reports only refusals, so one decision per handshake.
      const decides = scope === 'namespace' || transport === 'ws';
      const settle = (settled: HandshakeVerdict) => {
        this.report(settled, decides, gateways, request);
        return this.explain(settled, transport, address, gateways, request);
      };
      return verdict instanceof Promise ? verdict.then(settle) : settle(verdict);
    };
  }

  /** `onDecision` for a handshake of a browser page (an `Origin` other than the server's own) under an enabled policy. */
  private report(verdict: HandshakeVerdict, decides: boolean, gateways: readonly GatewayEntry[], request: CorsRequest): void {
    const origin = request.headers.origin;
    const { policy } = verdict;
    if (this.decisions === undefined || origin === undefined || policy === undefined || !policy.enabled) return;
    if (!decides && verdict.allowed) return;
    const route = gateways.map((entry) => entry.label).join(', ') || undefined;
    this.decisions.report(false, verdict.allowed, origin, request.method ?? 'GET', request, route, policy, verdict.reason);
  }

  private explain(
    verdict: HandshakeVerdict,
    transport: CorsGatewayTransport,
    address: GatewayAddress,
    gateways: readonly GatewayEntry[],
    request: CorsRequest,
  ): HandshakeVerdict {
    const origin = request.headers.origin;
    if (verdict.allowed || origin === undefined || this.explainer === undefined) return verdict;
    const names = gateways.map((entry) => entry.label).join(', ') || 'no gateway';
    const route = `WebSocket handshake to ${names} (${describeAddress(transport, address)})`;
    if (verdict.policy === undefined) {
      this.logger.warn(`Refused ${route} for origin ${JSON.stringify(origin)}: no gateway policy applies here (fail closed).`);
    } else if (!verdict.policy.enabled) {
      const detail = `CORS is off for this gateway (${verdict.policy.describedAs}): only pages of the server's own origin and clients without Origin connect`;
      this.explainer.explain(verdict.reason ?? 'origin not trusted', origin, route, verdict.policy, detail);
    } else {
      this.explainer.explain(verdict.reason ?? 'origin not trusted', origin, route, verdict.policy);
    }
    return verdict;
  }
}
