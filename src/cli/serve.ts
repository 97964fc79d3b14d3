/** `switchyard serve`: run the gateway on HTTP until SIGTERM/SIGINT, then shut down gracefully. */
import { validateConfig } from '../config/load.js';
import { GatewayError } from '../errors/index.js';
import { Gateway } from '../gateway/gateway.js';
import { isLoopbackHost } from '../http/guards.js';
import { createLogger } from '../telemetry/logger.js';
import { guardProcess } from './process-guards.js';
import { configPath, fail, loadOrExit, withListen } from './shared.js';

export async function serve(opts: {
  config?: string;
  host?: string;
  port?: string;
  insecureNoAuth?: boolean;
}): Promise<void> {
  const path = configPath(opts.config);
  const config = validateConfig(withListen(await loadOrExit(path), opts.host, opts.port));
  const log = createLogger(config.log.level);
  // Secure by default: beyond loopback, every caller must authenticate unless explicitly waived.
  if (!isLoopbackHost(config.server.host) && !config.auth.required) {
    if (!opts.insecureNoAuth) {
      fail(
        `refusing to listen on ${config.server.host} without authentication: anyone who can reach this ` +
          'address could use every upstream. Set auth.required: true (and create keys with ' +
          '`switchyard keys create`), bind to 127.0.0.1, or pass --insecure-no-auth if a proxy in front ' +
          'authenticates callers.',
      );
    }
    log.warn(
      { host: config.server.host },
      'listening beyond loopback WITHOUT authentication (--insecure-no-auth): anyone who can reach this address can use every upstream',
    );
  }
  const gateway = new Gateway(config, log, { configPath: path });
  guardProcess(log);
  try {
    await gateway.start();
  } catch (err) {
    log.fatal({ err }, 'gateway failed to start');
    if (err instanceof GatewayError)
      process.stderr.write(`switchyard: ${err.code}: ${err.message}\n  fix: ${err.fix}\n`);
    await gateway.stop().catch(() => {});
    process.exit(1);
  }
  process.stdout.write(`Switchyard MCP endpoint: ${gateway.url}\n`);
  const admin = gateway.core.adminToken;
  if (admin.created)
    process.stdout.write(`Admin API token written to ${admin.file} (\`switchyard admin token\` prints it)\n`);

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
