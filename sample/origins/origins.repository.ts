import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { OnApplicationShutdown } from '@nestjs/common';
import { DEFAULT_LISTENER_TIMING, DEFAULT_ORIGINS_CHANNEL, type ListenerTiming } from '../sample-config.js';
import { PostgresListener, type ChangeHandlers } from './postgres-listener.js';

export type { ChangeHandlers } from './postgres-listener.js';

/** The part of PGlite, of a `pg` Pool and of their transactions the repository uses: all answer `{ rows }`. */
export interface SqlClient {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

export interface OriginsDatabaseOptions {
  /** PostgreSQL connection string; when unset, embedded PGlite in `pgliteDir`. */
  readonly databaseUrl?: string;
  /** PGlite data folder, created on first start. */
  readonly pgliteDir: string;
  /** Table name (a plain lower-case SQL identifier). */
  readonly table: string;
  /** NOTIFY channel of origin changes (a plain lower-case SQL identifier). Default `cors_origins`. */
  readonly channel?: string;
  /** Names this instance's connections in `pg_stat_activity` (PostgreSQL only). */
  readonly instanceId?: string;
  /** Reconnection and heartbeat of the LISTEN connection (PostgreSQL only). */
  readonly listener?: ListenerTiming;
  /** Connections of the query pool (PostgreSQL only). Default 5. */
  readonly poolSize?: number;
}

/** A running subscription to origin changes; `close()` ends it and any reconnection. */
export interface ChangeSubscription {
  close(): Promise<void>;
}

/** Origins a fresh database starts with, so the sample has something to show. */
export const SEED_ORIGINS: readonly string[] = ['https://partner.example.com', 'https://shop.partner.example.org'];

/** Table and channel names go into SQL text (identifiers cannot be parameters), so they are checked. */
const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const DUPLICATE_OBJECT_CODES = new Set(['42P07', '23505']);

/**
 * The trusted origins, in PostgreSQL (`DATABASE_URL`) or in embedded PGlite otherwise,
 * with the same SQL for both. Create it with {@link OriginsRepository.open}.
 *
 * Every change is announced with `pg_notify(channel, origin)` in the transaction that makes
 * it: PostgreSQL delivers it to every listening connection when the transaction commits,
 * and never if it rolls back. {@link OriginsRepository.listen} receives them.
 */
export class OriginsRepository implements OnApplicationShutdown {
  private constructor(
    private readonly connection: Connection,
    private readonly table: string,
    private readonly channel: string,
  ) {}

  /** Connects, and creates and seeds the table when it does not exist yet. */
  static async open(options: OriginsDatabaseOptions): Promise<OriginsRepository> {
    const channel = options.channel ?? DEFAULT_ORIGINS_CHANNEL;
    if (!IDENTIFIER.test(options.table)) throw new Error(`invalid table name "${options.table}"`);
    if (!IDENTIFIER.test(channel)) throw new Error(`invalid channel name "${channel}"`);
    const connection = options.databaseUrl ? await connectPostgres(options) : await openPglite(options.pgliteDir);
    const repository = new OriginsRepository(connection, options.table, channel);
    try {
      await repository.createAndSeed();
    } catch (error) {
      await repository.close();
      throw error;
    }
    return repository;
  }

  /** The database, for another table's repository on the same connection (`TenantOriginsRepository`). */
  get sql(): Pick<Connection, 'client' | 'transaction'> {
    return this.connection;
  }

  /** Announces a change to every instance, in the transaction that makes it (a payload `CorsCacheInvalidator.onMessage` reads). */
  announceIn(tx: SqlClient, payload: string): Promise<void> {
    return this.announce(tx, payload);
  }

  /** Names the change feed in log lines, e.g. `PostgreSQL LISTEN cors_origins (cors-origins-listener-web-1)`. */
  get changeFeedName(): string {
    return `${this.connection.kind} LISTEN ${this.channel}${this.connection.listenerName ? ` (${this.connection.listenerName})` : ''}`;
  }

  async exists(origin: string): Promise<boolean> {
    const { rows } = await this.connection.client.query<{ found: number }>(`SELECT 1 AS found FROM ${this.table} WHERE origin = $1`, [
      origin,
    ]);
    return rows.length > 0;
  }

  async list(): Promise<string[]> {
    const { rows } = await this.connection.client.query<{ origin: string }>(`SELECT origin FROM ${this.table} ORDER BY created_at, origin`);
    return rows.map((row) => row.origin);
  }

  /** Adds an origin and, when it is new, announces it to every instance. */
  async add(origin: string): Promise<'added' | 'exists'> {
    return this.connection.transaction(async (tx) => {
      const { rows } = await tx.query(`INSERT INTO ${this.table} (origin) VALUES ($1) ON CONFLICT (origin) DO NOTHING RETURNING origin`, [
        origin,
      ]);
      if (rows.length === 0) return 'exists';
      await this.announce(tx, origin);
      return 'added';
    });
  }

  /** Removes an origin and, when it was there, announces it to every instance. */
  async remove(origin: string): Promise<boolean> {
    return this.connection.transaction(async (tx) => {
      const { rows } = await tx.query(`DELETE FROM ${this.table} WHERE origin = $1 RETURNING origin`, [origin]);
      if (rows.length === 0) return false;
      await this.announce(tx, origin);
      return true;
    });
  }

  /**
   * Calls `handlers` with every origin change announced on the channel, by any instance (this
   * one included). On PostgreSQL, over one dedicated connection that reconnects by itself;
   * on PGlite, in process. `onSubscribed` comes once LISTEN is active, and again after each
   * reconnection.
   */
  listen(handlers: ChangeHandlers): Promise<ChangeSubscription> {
    return this.connection.listen(this.channel, handlers);
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.connection.close();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Seeds only a table created now, so origins an admin removed do not come back on restart. */
  private async createAndSeed(): Promise<void> {
    const { client } = this.connection;
    const { rows } = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [this.table]);
    if (rows[0]?.present) return;
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (origin text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now())`,
      );
    } catch (error) {
      // Two instances starting at once on one server: the other one created it first.
      if (!DUPLICATE_OBJECT_CODES.has((error as { code?: string }).code ?? '')) throw error;
    }
    for (const origin of SEED_ORIGINS) await this.add(origin);
  }

  /** Payload limit of PostgreSQL: 8 000 bytes. The admin API accepts far shorter origins. */
  private async announce(tx: SqlClient, payload: string): Promise<void> {
    await tx.query('SELECT pg_notify($1, $2)', [this.channel, payload]);
  }
}

/** What differs between PostgreSQL and PGlite; the SQL is the same. */
interface Connection {
  readonly kind: 'PostgreSQL' | 'PGlite';
  readonly client: SqlClient;
  /** `application_name` of the LISTEN connection, when there is one. */
  readonly listenerName?: string;
  transaction<T>(work: (tx: SqlClient) => Promise<T>): Promise<T>;
  listen(channel: string, handlers: ChangeHandlers): Promise<ChangeSubscription>;
  close(): Promise<void>;
}

// Loaded on demand: an app on PGlite never loads `pg`, and the other way round.
async function connectPostgres(options: OriginsDatabaseOptions): Promise<Connection> {
  const { default: pg } = await import('pg');
  const connectionString = options.databaseUrl!;
  const instance = options.instanceId ? `-${options.instanceId}` : '';
  const listenerName = `cors-origins-listener${instance}`;
  const pool = new pg.Pool({ connectionString, max: options.poolSize ?? 5, application_name: `cors-origins${instance}` });
  const listeners = new Set<PostgresListener>();
  return {
    kind: 'PostgreSQL',
    client: pool,
    listenerName,
    transaction: async (work) => {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
        throw error;
      } finally {
        // A connection that could not roll back is discarded, not returned to the pool.
        client.release(broken);
      }
    },
    listen: async (channel, handlers) => {
      const timing = options.listener ?? DEFAULT_LISTENER_TIMING;
      const listener = new PostgresListener(pg.Client, { connectionString, channel, applicationName: listenerName, timing }, handlers);
      listeners.add(listener);
      await listener.start();
      return {
        close: async () => {
          listeners.delete(listener);
          await listener.stop();
        },
      };
    },
    close: async () => {
      // Normally closed already (OriginChangesListener, on module destroy); never left retrying.
      await Promise.all([...listeners].map((listener) => listener.stop()));
      await pool.end();
    },
  };
}

async function openPglite(dir: string): Promise<Connection> {
  const { PGlite } = await import('@electric-sql/pglite');
  const dataDir = resolve(dir);
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  return {
    kind: 'PGlite',
    client: db,
    transaction: (work) => db.transaction(work),
    // One process, one connection: notifications are delivered in process and never drop.
    listen: async (channel, handlers) => {
      const unlisten = await db.listen(channel, (payload) => handlers.onPayload(payload));
      handlers.onSubscribed();
      let closed = false;
      return {
        close: async () => {
          if (closed || db.closed) return;
          closed = true;
          await unlisten();
        },
      };
    },
    close: () => db.close(),
  };
}
