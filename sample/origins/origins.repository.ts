import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { OnApplicationShutdown } from '@nestjs/common';

/** The part of PGlite and of a `pg` Pool the repository uses: both answer `{ rows }`. */
interface SqlClient {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
}

export interface OriginsDatabaseOptions {
  /** PostgreSQL connection string; when unset, embedded PGlite in `pgliteDir`. */
  readonly databaseUrl?: string;
  /** PGlite data folder, created on first start. */
  readonly pgliteDir: string;
  /** Table name (a plain lower-case SQL identifier). */
  readonly table: string;
}

/** Origins a fresh database starts with, so the sample has something to show. */
export const SEED_ORIGINS: readonly string[] = ['https://partner.example.com', 'https://shop.partner.example.org'];

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const DUPLICATE_OBJECT_CODES = new Set(['42P07', '23505']);

/**
 * The trusted origins, in PostgreSQL (`DATABASE_URL`) or in embedded PGlite otherwise,
 * with the same SQL for both. Create it with {@link OriginsRepository.open}.
 */
export class OriginsRepository implements OnApplicationShutdown {
  private constructor(
    private readonly client: SqlClient,
    private readonly table: string,
    private readonly closeClient: () => Promise<void>,
  ) {}

  /** Connects, and creates and seeds the table when it does not exist yet. */
  static async open(options: OriginsDatabaseOptions): Promise<OriginsRepository> {
    // The table name goes into SQL text (identifiers cannot be parameters), so it is checked.
    if (!TABLE_NAME.test(options.table)) throw new Error(`invalid table name "${options.table}"`);
    const connection = options.databaseUrl ? await connectPostgres(options.databaseUrl) : await openPglite(options.pgliteDir);
    const repository = new OriginsRepository(connection.client, options.table, connection.close);
    try {
      await repository.createAndSeed();
    } catch (error) {
      await repository.close();
      throw error;
    }
    return repository;
  }

  async exists(origin: string): Promise<boolean> {
    const { rows } = await this.client.query<{ found: number }>(`SELECT 1 AS found FROM ${this.table} WHERE origin = $1`, [origin]);
    return rows.length > 0;
  }

  async list(): Promise<string[]> {
    const { rows } = await this.client.query<{ origin: string }>(`SELECT origin FROM ${this.table} ORDER BY created_at, origin`);
    return rows.map((row) => row.origin);
  }

  async add(origin: string): Promise<'added' | 'exists'> {
    const { rows } = await this.client.query(
      `INSERT INTO ${this.table} (origin) VALUES ($1) ON CONFLICT (origin) DO NOTHING RETURNING origin`, [origin],
    );
    return rows.length > 0 ? 'added' : 'exists';
  }

  async remove(origin: string): Promise<boolean> {
    const { rows } = await this.client.query(`DELETE FROM ${this.table} WHERE origin = $1 RETURNING origin`, [origin]);
    return rows.length > 0;
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.closeClient();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /** Seeds only a table created now, so origins an admin removed do not come back on restart. */
  private async createAndSeed(): Promise<void> {
    const { rows } = await this.client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [this.table]);
    if (rows[0]?.present) return;
    try {
      await this.client.query(`CREATE TABLE IF NOT EXISTS ${this.table} (origin text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now())`);
    } catch (error) {
      // Two instances starting at once on one server: the other one created it first.
      if (!DUPLICATE_OBJECT_CODES.has((error as { code?: string }).code ?? '')) throw error;
    }
    for (const origin of SEED_ORIGINS) await this.add(origin);
  }
}

interface Connection {
  readonly client: SqlClient;
  readonly close: () => Promise<void>;
}

// Loaded on demand: an app on PGlite never loads `pg`, and the other way round.
async function connectPostgres(url: string): Promise<Connection> {
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  return { client: pool, close: () => pool.end() };
}

async function openPglite(dir: string): Promise<Connection> {
  const { PGlite } = await import('@electric-sql/pglite');
  const dataDir = resolve(dir);
  mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  return { client: db, close: () => db.close() };
}
