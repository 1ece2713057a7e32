import { OriginsRepository, type SqlClient } from '../origins/origins.repository.js';

/** Tenants a fresh table starts with, so the sample has something to show. */
export const SEED_TENANT_ORIGINS: ReadonlyArray<{ readonly tenant: string; readonly origin: string }> = [
  { tenant: 'acme', origin: 'https://app.acme.example' },
  { tenant: 'globex', origin: 'https://app.globex.example' },
];

/** A tenant name as the routes accept it: lower-case letters, digits and `-`, 1 to 63 characters. */
export const TENANT_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const DUPLICATE_OBJECT_CODES = new Set(['42P07', '23505']);

/**
 * Each tenant's trusted origins (table `tenant_origins`: tenant, origin), on the database of
 * {@link OriginsRepository}. A change is announced on the same channel in the transaction that
 * makes it, as JSON `{"scope": tenant, "origin": origin}`: every instance's
 * `CorsCacheInvalidator` then forgets that tenant's answer only.
 */
export class TenantOriginsRepository {
  private constructor(
    private readonly origins: OriginsRepository,
    private readonly table: string,
  ) {}

  /** Creates and seeds the table when it does not exist yet. */
  static async open(origins: OriginsRepository, table: string): Promise<TenantOriginsRepository> {
    if (!IDENTIFIER.test(table)) throw new Error(`invalid table name "${table}"`);
    const repository = new TenantOriginsRepository(origins, table);
    await repository.createAndSeed();
    return repository;
  }

  async exists(tenant: string, origin: string): Promise<boolean> {
    const { rows } = await this.origins.sql.client.query(`SELECT 1 AS found FROM ${this.table} WHERE tenant = $1 AND origin = $2`, [
      tenant,
      origin,
    ]);
    return rows.length > 0;
  }

  async list(tenant: string): Promise<string[]> {
    const { rows } = await this.origins.sql.client.query<{ origin: string }>(
      `SELECT origin FROM ${this.table} WHERE tenant = $1 ORDER BY created_at, origin`,
      [tenant],
    );
    return rows.map((row) => row.origin);
  }

  async add(tenant: string, origin: string): Promise<'added' | 'exists'> {
    return this.origins.sql.transaction(async (tx) => {
      const { rows } = await tx.query(
        `INSERT INTO ${this.table} (tenant, origin) VALUES ($1, $2) ON CONFLICT (tenant, origin) DO NOTHING RETURNING origin`,
        [tenant, origin],
      );
      if (rows.length === 0) return 'exists';
      await this.announce(tx, tenant, origin);
      return 'added';
    });
  }

  async remove(tenant: string, origin: string): Promise<boolean> {
    return this.origins.sql.transaction(async (tx) => {
      const { rows } = await tx.query(`DELETE FROM ${this.table} WHERE tenant = $1 AND origin = $2 RETURNING origin`, [tenant, origin]);
      if (rows.length === 0) return false;
      await this.announce(tx, tenant, origin);
      return true;
    });
  }

  private announce(tx: SqlClient, tenant: string, origin: string): Promise<void> {
    return this.origins.announceIn(tx, JSON.stringify({ scope: tenant, origin }));
  }

  /** Seeds only a table created now, so origins an admin removed do not come back on restart. */
  private async createAndSeed(): Promise<void> {
    const { client } = this.origins.sql;
    const { rows } = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [this.table]);
    if (rows[0]?.present) return;
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (tenant text NOT NULL, origin text NOT NULL, ` +
          'created_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (tenant, origin))',
      );
    } catch (error) {
      // Two instances starting at once on one server: the other one created it first.
      if (!DUPLICATE_OBJECT_CODES.has((error as { code?: string }).code ?? '')) throw error;
    }
    for (const { tenant, origin } of SEED_TENANT_ORIGINS) await this.add(tenant, origin);
  }
}
