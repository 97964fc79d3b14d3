/** `switchyard keys` against a real store file, and the key it prints working on a real gateway. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openStore } from '../../src/store/open.js';
import { ApiKeyVerifier } from '../../src/policy/keys.js';
import { runCli } from '../support/cli.js';

describe('switchyard keys', () => {
  it('creates (shown once), lists (never the key) and revokes keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swy-keys-'));
    const file = join(dir, 'switchyard.yaml');
    const store = `sqlite:${join(dir, 'db.sqlite')}`;
    writeFileSync(file, stringify({ store, log: { level: 'warn' } }));

    const created = await runCli([
      'keys',
      'create',
      '--principal',
      'alice',
      '--group',
      'ops',
      '--group',
      'dev',
      '--expires',
      '30d',
      '--config',
      file,
    ]);
    expect(created.code).toBe(0);
    const key = created.stdout.split('\n')[0]!;
    expect(key).toMatch(/^swy_[0-9a-f]{16}_/);
    expect(created.stdout).toContain('only time the key is shown');
    const id = key.slice(4, 20);

    const listed = await runCli(['keys', 'list', '--config', file, '--json']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).not.toContain(key.slice(21));
    expect(JSON.parse(listed.stdout).keys).toEqual([
      expect.objectContaining({ id, principal: 'alice', groups: ['ops', 'dev'], status: 'active' }),
    ]);

    const s = await openStore(store);
    const verifier = new ApiKeyVerifier(s.apiKeys, () => 0);
    expect((await verifier.verify(key)).name).toBe('alice');

    expect((await runCli(['keys', 'revoke', id, '--config', file])).code).toBe(0);
    await expect(verifier.verify(key)).rejects.toThrow('the key was revoked');
    const again = await runCli(['keys', 'revoke', id, '--config', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no active API key with id ${id}`);
    await s.close();

    const bad = await runCli(['keys', 'create', '--principal', 'bad name', '--config', file]);
    expect(bad.code).toBe(1);
  });
});
