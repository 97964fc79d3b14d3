/**
 * What the long-running commands (`serve`, `stdio`) install on the process. A promise rejected
 * with nobody to handle it is a bug, but ending the process for it would take every client's
 * calls down with the one that hit it: it is logged (and counted), and the gateway keeps serving.
 */
import type { Logger } from '../telemetry/logger.js';

export function guardProcess(log: Logger, counted?: () => void): void {
  process.on('unhandledRejection', (reason) => {
    counted?.();
    log.error({ err: reason }, 'unhandled promise rejection (a bug, please report it); still serving');
  });
}
