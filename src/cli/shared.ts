/** What the CLI commands share: finding and loading the config, and failing clearly. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';

export const DEFAULT_CONFIG = 'switchyard.yaml';

/** `--config FILE`, else ./switchyard.yaml. */
export function configPath(given: string | undefined): string {
  if (given) return resolve(given);
  const local = resolve(DEFAULT_CONFIG);
  if (existsSync(local)) return local;
  fail(`no config file: pass --config FILE, or create ${DEFAULT_CONFIG} with \`switchyard init\``);
}

export async function loadOrExit(path: string): Promise<Config> {
  try {
    return await loadConfigFile(path);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`invalid config:\n${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export function fail(message: string, code = 1): never {
  process.stderr.write(`switchyard: ${message}\n`);
  process.exit(code);
}

/** Apply --host/--port over the file's server section (the snapshot stays frozen: copy it). */
export function withListen(config: Config, host?: string, port?: string): Config {
  if (host === undefined && port === undefined) return config;
  const p = port === undefined ? config.server.port : Number(port);
  if (!Number.isInteger(p) || p < 0 || p > 65535) fail(`--port must be 0-65535, got ${port}`);
  return { ...config, server: { ...config.server, host: host ?? config.server.host, port: p } };
}

/** Run with the store the config names (`--config FILE`), closing it afterwards. */
export async function withStore<T>(
  config: string | undefined,
  run: (store: Store, config: Config) => Promise<T>,
): Promise<T> {
  const cfg = await loadOrExit(configPath(config));
  const store = await openStore(cfg.store);
  try {
    return await run(store, cfg);
  } finally {
    await store.close();
  }
}
