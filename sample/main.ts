import { createSampleApp } from './app.js';

async function bootstrap(): Promise<void> {
  const { app, config } = await createSampleApp();
  // Closes the database on Ctrl+C or a container stop.
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  // Plain console lines (Nest's Logger adds colour codes), so scripts can read the URL and token.
  console.log(`Sample app listening on ${await app.getUrl()}`);
  console.log(config.databaseUrl ? 'Trusted origins in PostgreSQL (DATABASE_URL)' : `Trusted origins in PGlite at ${config.pgliteDir}`);
  if (config.adminTokenGenerated) {
    // Printed once and kept nowhere: set ADMIN_TOKEN to choose a token that survives restarts.
    console.log(`ADMIN_TOKEN is not set; admin token for this run: ${config.adminToken}`);
  }
}

bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
