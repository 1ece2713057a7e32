#!/usr/bin/env node
// `npm run sample:reset`: deletes the sample's embedded database (PGLITE_DIR, default
// sample/.data, as sample/sample-config.ts reads it), so that the next `npm start` creates and
// seeds it again and the quick start runs as written. A PostgreSQL database (DATABASE_URL) is
// never touched.
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';

const dir = resolve(process.env.PGLITE_DIR?.trim() || 'sample/.data');
if (existsSync(dir)) {
  rmSync(dir, { recursive: true, force: true });
  console.log(`sample:reset: removed ${dir}; the next npm start creates and seeds it again`);
} else {
  console.log(`sample:reset: ${dir} does not exist; nothing to remove`);
}
if (process.env.DATABASE_URL) console.log('sample:reset: DATABASE_URL is set: that PostgreSQL database was left as it is');
