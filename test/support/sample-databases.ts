import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { SampleConfig } from '../../sample/sample-config.js';

/** A database the sample suite runs against. */
export interface SampleDatabase {
  readonly name: string;
  /** Options of createSampleApp for an app on its own table of this database. */
  appOptions(table: string): Partial<SampleConfig>;
  /** Removes what the run created (temp folder, tables). Call after every app is closed. */
  cleanUp(): Promise<void>;
}

/** A table name no other run uses, so runs on one shared server are independent. */
export function uniqueTable(label: string): string {
  return `trusted_origins_${label}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Embedded PGlite in a temporary folder. Apps on it must not be open at the same time. */
export function pgliteDatabase(): SampleDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'cors-sample-pglite-'));
  return {
    name: 'PGlite',
    appOptions: (table) => ({ pgliteDir: dir, databaseUrl: undefined, originsTable: table }),
    cleanUp: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A PostgreSQL server (TEST_DATABASE_URL); the tables created are dropped at the end. */
export function postgresDatabase(url: string): SampleDatabase {
  const tables = new Set<string>();
  return {
    name: 'PostgreSQL',
    appOptions: (table) => {
      tables.add(table);
      return { databaseUrl: url, originsTable: table };
    },
    cleanUp: async () => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        for (const table of tables) await client.query(`DROP TABLE IF EXISTS ${table}, ${table}_tenants`);
      } finally {
        await client.end();
      }
    },
  };
}
