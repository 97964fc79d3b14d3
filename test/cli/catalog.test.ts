/**
 * `switchyard catalog …`, `switchyard bom` and the policy lines of `switchyard check`, run as the
 * real CLI against a config and its store.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../support/cli.js';
import { stdioFixture } from '../support/fixtures.js';

const FIX = fileURLToPath(new URL('../support/catalog/', import.meta.url));

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function setup(upstreams: unknown[], more: Record<string, unknown> = {}): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'swy-catalog-cli-'));
  const file = join(dir, 'switchyard.yaml');
  writeFileSync(
    file,
    stringify({
      store: `sqlite:${join(dir, 'db.sqlite')}`,
      log: { level: 'warn' },
      licensePolicy: {
        allow: ['OpenMDW-1.0', 'Apache-2.0', 'MIT', 'ODC-By-1.0'],
        deny_flags: ['non-commercial'],
        warn_flags: ['acceptable-use-policy'],
      },
      upstreams,
      ...more,
    }),
  );
  return { dir, file };
}

// Each case runs the CLI a dozen times (about 1-2 s each on a busy machine).
const SLOW = { timeout: 180_000 };

describe('switchyard catalog', () => {
  it(
    'imports cards, lists and shows entries, and rejects bad input without writing anything',
    SLOW,
    async () => {
      const { dir, file } = setup([]);
      const imp = (...args: string[]) => runCli(['catalog', 'import', '--config', file, ...args]);

      const open = await imp(`${FIX}openmdw-model`, '--name', 'example-org/open-model-1b');
      expect(open.stderr).toBe('');
      expect(open.stdout).toBe('added example-org/open-model-1b (model, OpenMDW-1.0)\n');
      expect(
        (await imp(`${FIX}llama-3.1-8b-instruct/README.md`, '--name', 'meta-llama/Llama-3.1-8B-Instruct'))
          .code,
      ).toBe(0);
      expect((await imp(`${FIX}fineweb/README.md`, '--name', 'HuggingFaceFW/fineweb')).code).toBe(0);
      expect((await imp(`${FIX}mot-deepseek-r1.yml`)).code).toBe(0);
      expect((await imp(`${FIX}modelpack-config.json`)).code).toBe(0);

      const list = await runCli(['catalog', 'list', '--config', file]);
      expect(list.code).toBe(0);
      expect(list.stdout.split('\n')[0]).toMatch(/^NAME\s+KIND\s+LICENSE\s+FLAGS\s+MOF\s+ORIGIN$/);
      expect(list.stdout).toMatch(
        /meta-llama\/Llama-3\.1-8B-Instruct\s+model\s+LicenseRef-Llama-3\.1-Community\s+acceptable-use-policy,monthly-active-user-cap,attribution-required,derivative-restrictions\s+-\s+store/,
      );
      expect(list.stdout).toMatch(/DeepSeek-R1\s+model\s+MIT\s+-\s+Unclassified\s+store/);

      const show = await runCli(['catalog', 'show', '--config', file, 'example-org/open-model-1b']);
      const entry = JSON.parse(show.stdout) as Obj;
      expect(entry).toMatchObject({ kind: 'model', effectiveLicense: 'OpenMDW-1.0', origin: 'store' });
      expect(entry.files.map((f: Obj) => f.path)).toEqual(['LICENSE', 'README.md', 'model.safetensors']);

      // A card with no license.
      writeFileSync(join(dir, 'README.md'), '---\nlanguage: [en]\n---\n# No license here\n');
      const none = await imp(join(dir, 'README.md'), '--name', 'x/none');
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('the card declares no license (no `license:` in its front matter)');
      // An unknown license key.
      writeFileSync(join(dir, 'README.md'), '---\nlicense: not-a-license\n---\n');
      expect((await imp(join(dir, 'README.md'), '--name', 'x/unknown')).stderr).toContain(
        'unknown Hugging Face license key "not-a-license"',
      );
      // A hash mismatch: declared hashes checked against the files; the batch is refused whole.
      const batch = [
        { name: 'x/good', kind: 'model', license: { declared: 'MIT' } },
        {
          name: 'x/weights',
          kind: 'weights',
          license: { declared: 'MIT' },
          files: [{ path: 'model.safetensors', sha256: '0'.repeat(64) }],
        },
      ];
      writeFileSync(join(dir, 'batch.yaml'), stringify(batch));
      const mismatch = await runCli([
        'catalog',
        'add',
        '--config',
        file,
        join(dir, 'batch.yaml'),
        '--dir',
        `${FIX}openmdw-model`,
      ]);
      expect(mismatch.code).toBe(1);
      expect(mismatch.stderr).toMatch(
        /catalog entry "x\/weights": model\.safetensors: SHA-256 mismatch \(declared 0{64}, file has [a-f0-9]{64}\)/,
      );
      // An invalid expression.
      writeFileSync(
        join(dir, 'bad.json'),
        JSON.stringify({ name: 'x/bad', kind: 'model', license: { declared: 'MIT OR' } }),
      );
      const invalid = await runCli(['catalog', 'add', '--config', file, join(dir, 'bad.json')]);
      expect(invalid.stderr).toContain('license.declared: "MIT OR" is not a valid SPDX license expression');

      const after = JSON.parse(
        (await runCli(['catalog', 'list', '--config', file, '--json'])).stdout,
      ) as Obj[];
      expect(after.map((e) => e.name)).toEqual([
        'DeepSeek-R1',
        'HuggingFaceFW/fineweb',
        'example-org/open-model-1b',
        'meta-llama/Llama-3.1-8B-Instruct',
        'xyz-3-8B-Instruct',
      ]);
      expect((await runCli(['catalog', 'remove', '--config', file, 'xyz-3-8B-Instruct'])).stdout).toBe(
        'removed xyz-3-8B-Instruct\n',
      );
      expect((await runCli(['catalog', 'remove', '--config', file, 'xyz-3-8B-Instruct'])).stderr).toContain(
        'Catalog entry "xyz-3-8B-Instruct" not found',
      );
    },
  );

  it('check fails on a violating upstream; bom exports what runs', SLOW, async () => {
    const { dir, file } = setup(
      [
        { name: 'writer', mcp: stdioFixture('writer'), artifacts: ['example-org/open-model-1b'] },
        { name: 'chat', mcp: stdioFixture('chat'), artifacts: ['meta-llama/Llama-3.1-8B-Instruct'] },
      ],
      {
        models: [
          {
            name: 'open',
            openai: { baseUrl: 'http://127.0.0.1:9/v1', model: 'm' },
            artifacts: ['example-org/open-model-1b'],
          },
        ],
        agents: [{ name: 'scribe', model: 'open' }],
      },
    );
    for (const [path, name] of [
      ['openmdw-model', 'example-org/open-model-1b'],
      ['llama-3.1-8b-instruct', 'meta-llama/Llama-3.1-8B-Instruct'],
      ['fineweb', 'HuggingFaceFW/fineweb'],
    ]) {
      expect(
        (await runCli(['catalog', 'import', '--config', file, `${FIX}${path}/README.md`, '--name', name!]))
          .code,
      ).toBe(0);
    }

    const check = await runCli(['catalog', 'check', '--config', file]);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('upstream writer  allow    example-org/open-model-1b (OpenMDW-1.0)');
    expect(check.stdout).toContain(
      'refuse: meta-llama/Llama-3.1-8B-Instruct (LicenseRef-Llama-3.1-Community): LicenseRef-Llama-3.1-Community is not in the allow list [rule allow]',
    );
    expect(check.stdout).toContain('1 refused');

    const configCheck = await runCli(['check', '--config', file]);
    expect(configCheck.code).toBe(1);
    expect(configCheck.stdout).toContain('  chat: refused (will not be started)');
    expect(configCheck.stdout).toContain('  writer: allow');
    expect(configCheck.stdout).toContain('  agent scribe: allow');
    expect(configCheck.stdout).toContain('  open: openai (http://127.0.0.1:9/v1, m)');
    expect(configCheck.stdout).toContain('  scribe: model open, tools none, at most 8 steps');

    const out = join(dir, 'bom.json');
    const bom = await runCli(['bom', '--config', file, '--format', 'cyclonedx', '--out', out]);
    expect(bom.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as Obj;
    expect(await new Validation.JsonValidator(Spec.Version.v1dot6).validate(JSON.stringify(doc))).toBeNull();
    expect(doc.services.map((s: Obj) => s.name).sort()).toEqual(['scribe', 'writer']);
    const model = doc.components.find((c: Obj) => c.name === 'example-org/open-model-1b');
    expect(model.modelCard.modelParameters.datasets).toEqual([{ ref: 'catalog:HuggingFaceFW/fineweb' }]);

    const spdx = await runCli(['bom', '--config', file, '--format', 'spdx', '--upstream', 'writer']);
    expect(spdx.code).toBe(0);
    const graph = (JSON.parse(spdx.stdout) as Obj)['@graph'] as Obj[];
    expect(graph.filter((n) => n.type === 'ai_AIPackage').map((n) => n.name)).toEqual([
      'example-org/open-model-1b',
    ]);
    // The cards carry no release time or version: the missing required properties are named.
    expect(spdx.stderr).toContain(
      'warning: SPDX required property missing: ai_AIPackage example-org/open-model-1b: releaseTime',
    );

    const refused = await runCli(['bom', '--config', file, '--upstream', 'chat']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('no running upstream named "chat" (refused by the license policy)');
    // An agent's BOM: its model, and what that model was trained on.
    const agentBom = await runCli(['bom', '--config', file, '--agent', 'scribe']);
    expect(agentBom.code).toBe(0);
    const agentDoc = JSON.parse(agentBom.stdout) as Obj;
    expect(agentDoc.services.map((s: Obj) => s.name)).toEqual(['scribe']);
    expect(agentDoc.components.map((c: Obj) => c.name).sort()).toEqual([
      'HuggingFaceFW/fineweb',
      'example-org/open-model-1b',
    ]);
    expect((await runCli(['bom', '--config', file, '--agent', 'nobody'])).stderr).toContain(
      'no running agent named "nobody"',
    );
  });
});
