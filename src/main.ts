import { ConfigError, loadConfig } from './config/load.js';
import { DirectoryConfigError } from './sync/registry.js';
import { createLogger, startServer } from './server.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const logger = createLogger(config);
  try {
    const running = await startServer(config, { logger });
    logger.info({ url: config.server.publicUrl }, `resetbridge is listening: open ${config.server.publicUrl}/admin`);
    const stop = async () => {
      logger.info({}, 'shutting down');
      await running.close();
      process.exit(0);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  } catch (e) {
    if (e instanceof DirectoryConfigError) {
      process.stderr.write(`Cannot start: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
}

await main();
