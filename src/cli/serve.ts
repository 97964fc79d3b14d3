/** `switchyard serve`: run the gateway on HTTP until SIGTERM/SIGINT, then shut down gracefully. */
import { validateConfig } from '../config/load.js';
import { Gateway } from '../gateway/runtime.js';
import { isLoopbackHost } from '../http/guards.js';
import { createLogger } from '../telemetry/logger.js';
import { configPath, loadOrExit, withListen } from './shared.js';

export async function serve(opts: { config?: string; host?: string; port?: string }): Promise<void> {
  const path = configPath(opts.config);
  const config = validateConfig(withListen(await loadOrExit(path), opts.host, opts.port));
  const log = createLogger(config.log.level);
  if (!isLoopbackHost(config.server.host)) {
    log.warn(
      { host: config.server.host },
      'listening beyond loopback: anyone who can reach this address can use every upstream',
    );
  }
  const gateway = new Gateway(config, log, { configPath: path });
  try {
    await gateway.start();
  } catch (err) {
    log.fatal({ err }, 'gateway failed to start');
    await gateway.stop().catch(() => {});
    process.exit(1);
  }
  process.stdout.write(`Switchyard MCP endpoint: ${gateway.url}\n`);

  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    log.info({ signal }, 'shutting down: draining in-flight calls');
    gateway.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
