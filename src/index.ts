/**
 * Switchyard as a library: `createGateway(config)` gives a gateway to start and stop inside a
 * Node.js application. The CLI (`switchyard serve`) is a thin layer over the same function.
 */
import { validateConfig } from './config/load.js';
import type { Config, ConfigInput } from './config/schema.js';
import { Gateway, type GatewayOptions } from './gateway/gateway.js';
import { createLogger, silentLogger } from './telemetry/logger.js';

export { Gateway, type GatewayOptions } from './gateway/gateway.js';
export type { ResolveHost, ResolvedAddress } from './policy/egress.js';
export { ConfigError, loadConfigFile, parseConfigText, validateConfig } from './config/load.js';
export { ConfigSchema, type Config, type ConfigInput, type UpstreamConfig } from './config/schema.js';
export { ERRORS, GatewayError, type ErrorCode } from './errors/index.js';
export type { UpstreamStatus } from './gateway/core.js';
export { VERSION } from './version.js';

/**
 * Build a gateway from a config object (validated and frozen here; `${VAR}` references are
 * resolved from the environment). Call `start()` to run it and `stop()` to shut it down.
 */
export function createGateway(config: ConfigInput | Config, options: GatewayOptions = {}): Gateway {
  const snapshot = validateConfig(config);
  const logger =
    options.logger ?? (snapshot.log.level === 'silent' ? silentLogger() : createLogger(snapshot.log.level));
  return new Gateway(snapshot, logger, options);
}
