/** `switchyard stdio`: the gateway as a desktop client's one stdio MCP server. */
import { Gateway } from '../gateway/gateway.js';
import { serveStdio } from '../mcp/front/stdio.js';
import { createLogger } from '../telemetry/logger.js';
import { guardProcess } from './process-guards.js';
import { configPath, loadOrExit } from './shared.js';

export async function stdio(opts: { config?: string }): Promise<void> {
  const path = configPath(opts.config);
  const config = await loadOrExit(path);
  const log = createLogger(config.log.level); // stderr: stdout carries the protocol
  const gateway = new Gateway(config, log, { configPath: path, listen: false });
  guardProcess(log);
  await gateway.start();
  const front = await serveStdio(gateway.core);
  const stop = async () => {
    await front.close().catch(() => {});
    await gateway.stop();
    process.exit(0);
  };
  const stopOrExit = () =>
    stop().catch((err: unknown) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  front.closed.then(stopOrExit, stopOrExit);
  process.on('SIGTERM', stopOrExit);
  process.on('SIGINT', stopOrExit);
}
