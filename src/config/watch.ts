/**
 * Hot reload: watch the config file and hand each valid new snapshot to `apply`.
 *
 * The directory is watched rather than the file, because editors save by writing a new file and
 * renaming it over the old one. An invalid file is reported and ignored; the running snapshot
 * stays in force.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../telemetry/logger.js';
import { ConfigError, loadConfigFile } from './load.js';
import type { Config } from './schema.js';

export function watchConfig(
  file: string,
  debounceMs: number,
  log: Logger,
  apply: (next: Config) => Promise<void>,
): { close(): void } {
  const path = resolve(file);
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let last = '';

  const reload = () => {
    running = running.then(async () => {
      let next: Config;
      try {
        next = await loadConfigFile(path);
      } catch (err) {
        const problems = err instanceof ConfigError ? err.message : String(err);
        log.error({ file: path, problems }, 'config reload rejected; the running config stays in force');
        return;
      }
      const fingerprint = JSON.stringify(next);
      if (fingerprint === last) return;
      last = fingerprint;
      try {
        await apply(next);
      } catch (err) {
        log.error({ err }, 'applying the reloaded config failed');
      }
    });
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), (_event, changed) => {
      if (changed && changed.toString() !== name) return;
      clearTimeout(timer);
      timer = setTimeout(reload, debounceMs);
    });
    watcher.on('error', (err) => log.warn({ err }, 'config watcher failed; hot reload is off'));
  } catch (err) {
    log.warn({ err }, 'cannot watch the config file; hot reload is off');
  }
  // Remember the current content so a touch without changes does not reload.
  void loadConfigFile(path).then(
    (c) => (last = JSON.stringify(c)),
    () => {},
  );
  return {
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
