import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const GUARDS = fileURLToPath(new URL('./process-guards.ts', import.meta.url));
const LOGGER = fileURLToPath(new URL('../telemetry/logger.ts', import.meta.url));

/** Run a script that leaves a rejection unhandled, with or without the guard. */
function run(guarded: boolean) {
  const script = `
    const { createLogger } = await import(${JSON.stringify(LOGGER)});
    const { guardProcess } = await import(${JSON.stringify(GUARDS)});
    if (${guarded}) guardProcess(createLogger('info'));
    void Promise.reject(new Error('nobody handles this'));
    setTimeout(() => console.log('still serving'), 50);
  `;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('process guards', () => {
  it('log an unhandled rejection and keep the process alive', () => {
    const r = run(true);
    expect(r.stdout).toContain('still serving');
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('unhandled promise rejection');
    expect(r.stderr).toContain('nobody handles this');
  });

  it('without them, Node ends the process (what the guard prevents)', () => {
    const r = run(false);
    expect(r.stdout).not.toContain('still serving');
    expect(r.status).not.toBe(0);
  });
});
