import { Logger } from '@nestjs/common';
import { createSampleApp } from './app.js';

async function bootstrap(): Promise<void> {
  const { app, config } = await createSampleApp();
  // Closes the database on Ctrl+C or a container stop.
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const logger = new Logger('Sample');
  logger.log(`Listening on ${(await app.getUrl()).replace('[::1]', 'localhost')}`);
  logger.log(config.databaseUrl ? 'Trusted origins in PostgreSQL (DATABASE_URL)' : `Trusted origins in PGlite at ${config.pgliteDir}`);
  if (config.adminTokenGenerated) {
    // Printed once and kept nowhere: set ADMIN_TOKEN to choose a token that survives restarts.
    logger.log(`ADMIN_TOKEN was not set; admin token for this run: ${config.adminToken}`);
  }
}

bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
