import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Injection token of the sample's {@link SampleConfig}. */
export const SAMPLE_CONFIG = Symbol('SAMPLE_CONFIG');

/** Everything the sample reads from its environment (BRIEF §5, "The sample's interface"). */
export interface SampleConfig {
  /** The HTTP platform (`PLATFORM`): `express` (default) or `fastify`. The CORS setup is the same on both. */
  readonly platform: SamplePlatform;
  /** Interface to listen on. `HOST`, default `127.0.0.1` (not reachable from other machines). */
  readonly host: string;
  /** `PORT`, default 3000; 0 picks a free port. */
  readonly port: number;
  /** Embedded database folder (`PGLITE_DIR`, default `sample/.data`), used when `databaseUrl` is unset. */
  readonly pgliteDir: string;
  /** PostgreSQL connection string (`DATABASE_URL`); unset = embedded PGlite. */
  readonly databaseUrl: string | undefined;
  /** Bearer token of the admin API (`ADMIN_TOKEN`). */
  readonly adminToken: string;
  /** Whether `adminToken` was generated at startup (so main.ts prints it once). */
  readonly adminTokenGenerated: boolean;
  /** TTL of the CORS resolver cache in ms (`CORS_CACHE_TTL_MS`, default 60 000; 0 = no cache). */
  readonly cacheTtlMs: number;
  /** The table of trusted origins. Not an env var: tests use a table of their own on a shared server. */
  readonly originsTable: string;
  /**
   * The table of each tenant's trusted origins (default `tenant_origins`; with a custom
   * `originsTable`, `<originsTable>_tenants`, so a test's tables stay its own).
   */
  readonly tenantOriginsTable: string;
  /**
   * The NOTIFY channel on which instances announce origin changes (default `cors_origins`).
   * Not an env var: tests use a channel of their own on a shared server.
   */
  readonly originsChannel: string;
  /**
   * Names this instance in PostgreSQL (`application_name` `cors-origins-listener-<id>` of its
   * LISTEN connection, `cors-origins-<id>` of its pool) and in log lines. `INSTANCE_ID`,
   * default `<hostname>-<pid>`; letters, digits, `.`, `_` and `-` only, at most 40 characters.
   */
  readonly instanceId: string;
  /** Timing of the LISTEN connection. Not env vars: tests shorten or lengthen them. */
  readonly listener: ListenerTiming;
  /** Connections of the PostgreSQL query pool. Not an env var; default 5. */
  readonly poolSize: number;
}

/** How the LISTEN connection reconnects and checks that it is alive. */
export interface ListenerTiming {
  /** First delay before reconnecting (then doubled at each failure, with jitter). Default 100 ms. */
  readonly reconnectInitialMs: number;
  /** Longest delay between two attempts. Default 5 000 ms. */
  readonly reconnectMaxMs: number;
  /**
   * A `SELECT 1` on the LISTEN connection this often; a beat still unanswered at the next one
   * means the connection is dead without having said so (a silent network drop). Default 10 000 ms.
   */
  readonly heartbeatMs: number;
}

/** The HTTP platforms the sample runs on. */
export type SamplePlatform = 'express' | 'fastify';

export const DEFAULT_PGLITE_DIR = 'sample/.data';
export const DEFAULT_CACHE_TTL_MS = 60_000;
export const DEFAULT_ORIGINS_TABLE = 'trusted_origins';
export const DEFAULT_TENANT_ORIGINS_TABLE = 'tenant_origins';
export const DEFAULT_ORIGINS_CHANNEL = 'cors_origins';
export const DEFAULT_POOL_SIZE = 5;
export const DEFAULT_LISTENER_TIMING: ListenerTiming = { reconnectInitialMs: 100, reconnectMaxMs: 5_000, heartbeatMs: 10_000 };

const INSTANCE_ID = /^[A-Za-z0-9._-]{1,40}$/;

/** Explicit settings; `listener` may name only the timings it changes. */
export type SampleConfigOverrides = Partial<Omit<SampleConfig, 'listener'>> & { readonly listener?: Partial<ListenerTiming> };

/** Builds the config from explicit overrides, then the environment, then the defaults. */
export function resolveSampleConfig(overrides: SampleConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): SampleConfig {
  const given = overrides.adminToken ?? nonEmpty(env.ADMIN_TOKEN);
  // Never a built-in default: a token anyone can read in the source protects nothing.
  const adminToken = given ?? randomBytes(32).toString('base64url');
  return {
    platform: overrides.platform ?? parsePlatform(env.PLATFORM),
    host: overrides.host ?? nonEmpty(env.HOST) ?? '127.0.0.1',
    port: overrides.port ?? parseInteger('PORT', env.PORT, 3000, 65_535),
    pgliteDir: overrides.pgliteDir ?? nonEmpty(env.PGLITE_DIR) ?? DEFAULT_PGLITE_DIR,
    databaseUrl: 'databaseUrl' in overrides ? overrides.databaseUrl : nonEmpty(env.DATABASE_URL),
    adminToken,
    adminTokenGenerated: overrides.adminTokenGenerated ?? given === undefined,
    cacheTtlMs:
      overrides.cacheTtlMs ?? parseInteger('CORS_CACHE_TTL_MS', env.CORS_CACHE_TTL_MS, DEFAULT_CACHE_TTL_MS, Number.MAX_SAFE_INTEGER),
    originsTable: overrides.originsTable ?? DEFAULT_ORIGINS_TABLE,
    tenantOriginsTable:
      overrides.tenantOriginsTable ??
      (overrides.originsTable === undefined ? DEFAULT_TENANT_ORIGINS_TABLE : `${overrides.originsTable}_tenants`),
    originsChannel: overrides.originsChannel ?? DEFAULT_ORIGINS_CHANNEL,
    instanceId: checkInstanceId(overrides.instanceId ?? nonEmpty(env.INSTANCE_ID) ?? defaultInstanceId()),
    listener: { ...DEFAULT_LISTENER_TIMING, ...overrides.listener },
    poolSize: overrides.poolSize ?? DEFAULT_POOL_SIZE,
  };
}

/** The host name (a container's name, in most orchestrators) and the process id. */
function defaultInstanceId(): string {
  const suffix = `-${process.pid}`;
  const host = hostname()
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 40 - suffix.length);
  return `${host || 'instance'}${suffix}`;
}

/** It goes into application_name, which PostgreSQL shows to operators: plain and short. */
function checkInstanceId(id: string): string {
  if (!INSTANCE_ID.test(id)) throw new Error(`INSTANCE_ID must be 1 to 40 letters, digits, ".", "_" or "-", got "${id}"`);
  return id;
}

/** An unknown platform stops the sample at startup rather than running on the default one. */
function parsePlatform(value: string | undefined): SamplePlatform {
  const platform = nonEmpty(value)?.trim().toLowerCase() ?? 'express';
  if (platform !== 'express' && platform !== 'fastify') throw new Error(`PLATFORM must be "express" or "fastify", got "${value}"`);
  return platform;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

/** A wrong number stops the sample at startup rather than running with a surprise value. */
function parseInteger(name: string, value: string | undefined, fallback: number, max: number): number {
  if (nonEmpty(value) === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > max) {
    throw new Error(`${name} must be an integer from 0 to ${max}, got "${value}"`);
  }
  return parsed;
}
