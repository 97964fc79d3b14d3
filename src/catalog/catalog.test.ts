import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CatalogEntryInput, LicensePolicy } from '../config/schema.js';
import { LicensePolicySchema } from '../config/schema.js';
import { CatalogConflictError, CatalogEntryError, CatalogView, validateEntry } from './entry.js';
import {
  ImportError,
  importHuggingFaceCard,
  importModelPack,
  importMot,
  verifyFiles,
  hashDirectory,
} from './import.js';
import { KNOWN_LICENSES } from './licenses.js';
import { MOF_COMPONENTS, evaluateMof, meetsClass } from './mof.js';
import { evaluateConsumers } from './policy.js';
import { SPDX_LIST_VERSION, alternatives, isListedId, parseExpression } from './spdx.js';

const FIX = fileURLToPath(new URL('../../test/support/catalog/', import.meta.url));
const read = (p: string) => readFileSync(`${FIX}${p}`, 'utf8');
const card = (dir: string, name: string) =>
  validateEntry(importHuggingFaceCard(read(`${dir}/README.md`), { name, source: `${dir}/README.md` }));

/** The policy of the issue: open licenses only, no non-commercial terms, warn on AUPs. */
const POLICY: LicensePolicy = LicensePolicySchema.parse({
  allow: ['OpenMDW-1.0', 'Apache-2.0', 'MIT', 'ODC-By-1.0'],
  deny_flags: ['non-commercial'],
  warn_flags: ['acceptable-use-policy'],
});

describe('SPDX expressions', () => {
  it('knows OpenMDW-1.0 from the installed list, and not OpenMDW-1.1', () => {
    expect(isListedId('OpenMDW-1.0')).toBe(true);
    expect(isListedId('OpenMDW-1.1')).toBe(false);
    expect(parseExpression('OpenMDW-1.0')).toEqual({ license: 'OpenMDW-1.0' });
  });

  it('records a list version that holds every id it validates against', () => {
    const cdx = JSON.parse(
      readFileSync(
        fileURLToPath(
          new URL(
            '../../node_modules/@cyclonedx/cyclonedx-library/res/schema/spdx.SNAPSHOT.schema.json',
            import.meta.url,
          ),
        ),
        'utf8',
      ),
    ) as { $comment: string; enum: string[] };
    expect(cdx.$comment).toContain(SPDX_LIST_VERSION);
    const listed = new Set(cdx.enum);
    const ids = JSON.parse(
      readFileSync(
        fileURLToPath(new URL('../../node_modules/spdx-license-ids/index.json', import.meta.url)),
        'utf8',
      ),
    ) as string[];
    expect(ids.filter((id) => !listed.has(id))).toEqual([]);
  });

  it('rejects unknown ids and suggests the spelling for a case slip', () => {
    expect(() => parseExpression('Foo-1.0')).toThrow(/not a valid SPDX license expression/);
    expect(() => parseExpression('mit or apache-2.0')).toThrow(/did you mean "MIT OR Apache-2.0"/);
    expect(() => parseExpression('MIT AND')).toThrow(/not a valid/);
  });

  it('expands expressions into the alternatives a licensee can choose', () => {
    expect(alternatives(parseExpression('MIT OR (Apache-2.0 AND CC-BY-4.0)'))).toEqual([
      ['MIT'],
      ['Apache-2.0', 'CC-BY-4.0'],
    ]);
    expect(alternatives(parseExpression('(MIT OR ISC) AND CC0-1.0'))).toEqual([
      ['MIT', 'CC0-1.0'],
      ['ISC', 'CC0-1.0'],
    ]);
  });

  it('has a source for every row of the license table', () => {
    for (const l of KNOWN_LICENSES) {
      expect(l.sources.length, l.id).toBeGreaterThan(0);
      for (const s of l.sources) expect(s, l.id).toMatch(/^https:\/\//);
      expect(isListedId(l.id) || l.id.startsWith('LicenseRef-'), l.id).toBe(true);
    }
  });
});

describe('importing real-shaped cards', () => {
  it('an OpenMDW model card (license: other + license_name)', () => {
    const e = card('openmdw-model', 'example-org/open-model-1b');
    expect(e).toMatchObject({
      kind: 'model',
      supplier: 'example-org',
      purl: 'pkg:huggingface/example-org/open-model-1b',
      task: 'text-generation',
      license: { declared: 'OpenMDW-1.0' },
      relationships: { trainedOn: ['HuggingFaceFW/fineweb'], baseModel: [] },
    });
  });

  it('a Llama 3.1 card (license: llama3.1, base_model)', () => {
    const e = card('llama-3.1-8b-instruct', 'meta-llama/Llama-3.1-8B-Instruct');
    expect(e.license.declared).toBe('LicenseRef-Llama-3.1-Community');
    expect(e.relationships.baseModel).toEqual(['meta-llama/Meta-Llama-3.1-8B']);
  });

  it('DeepSeek-R1 (MIT) and Qwen2.5-72B (the Qwen license, by license_name)', () => {
    expect(card('deepseek-r1', 'deepseek-ai/DeepSeek-R1').license.declared).toBe('MIT');
    const q = card('qwen2.5-72b-instruct', 'Qwen/Qwen2.5-72B-Instruct');
    expect(q.license.declared).toBe('LicenseRef-Qwen');
    expect(q.relationships.baseModel).toEqual(['Qwen/Qwen2.5-72B']);
  });

  it('a dataset card: kind, type and ODC-By', () => {
    const e = card('fineweb', 'HuggingFaceFW/fineweb');
    expect(e).toMatchObject({
      kind: 'dataset',
      description: 'FineWeb',
      datasetType: ['text'],
      downloadLocation: 'https://huggingface.co/datasets/HuggingFaceFW/fineweb',
      license: { declared: 'ODC-By-1.0' },
    });
    expect(e.purl).toBeUndefined();
  });

  it('a license outside the table becomes a LicenseRef with the card’s link', () => {
    const text = '---\nlicense: other\nlicense_name: acme-model-license\nlicense_link: LICENSE.md\n---\n';
    const e = validateEntry(importHuggingFaceCard(text, { name: 'acme/m' }));
    expect(e.license).toMatchObject({
      declared: 'LicenseRef-acme-model-license',
      refs: {
        'LicenseRef-acme-model-license': {
          name: 'acme-model-license',
          url: 'https://huggingface.co/acme/m/blob/main/LICENSE.md',
        },
      },
    });
  });

  it('a ModelPack config and Model Openness Tool files', () => {
    const mp = validateEntry(importModelPack(JSON.parse(read('modelpack-config.json'))));
    expect(mp).toMatchObject({
      name: 'xyz-3-8B-Instruct',
      version: '3.1',
      supplier: 'Example Org',
      releaseTime: '2025-01-01T00:00:00Z',
      license: { declared: 'Apache-2.0' },
    });
    expect(mp.files).toHaveLength(2);
    const mot = validateEntry(importMot(read('mot-deepseek-r1.yml')));
    expect(mot).toMatchObject({ name: 'DeepSeek-R1', supplier: 'DeepSeek AI', license: { declared: 'MIT' } });
    expect(mot.mof!.components['Research paper']).toBe(
      'LicenseRef-arXiv.org-perpetual-non-exclusive-license-1.0',
    );
  });
});

describe('bad input is reported, naming what is wrong', () => {
  it('a card with no license, no front matter, or an unknown license key', () => {
    expect(() => importHuggingFaceCard('---\nlanguage: [en]\n---\n', { name: 'a/b' })).toThrow(
      /declares no license \(no `license:`/,
    );
    expect(() => importHuggingFaceCard('# just prose\n', { name: 'a/b' })).toThrow(/no YAML front matter/);
    expect(() => importHuggingFaceCard('---\nlicense: llama9\n---\n', { name: 'a/b' })).toThrow(
      /unknown Hugging Face license key "llama9"/,
    );
    expect(() =>
      importHuggingFaceCard('---\nlicense: other\nlicense_name: custom\n---\n', { name: 'a/b' }),
    ).toThrow(ImportError);
  });

  it('an invalid SPDX expression and conflicting declared/concluded licenses', () => {
    const base = { name: 'a/b', kind: 'model' } as const;
    expect(() => validateEntry({ ...base, license: { declared: 'MIT AND' } })).toThrow(
      /license\.declared: "MIT AND" is not a valid SPDX license expression/,
    );
    const conflict = () =>
      validateEntry({ ...base, license: { declared: 'MIT', concluded: 'GPL-3.0-only' } });
    expect(conflict).toThrow(CatalogEntryError);
    expect(conflict).toThrow(/license\.concluded: "GPL-3.0-only" conflicts with the declared "MIT"/);
    // A conclusion that picks one side of an OR is not a conflict.
    expect(
      validateEntry({ ...base, license: { declared: 'MIT OR Apache-2.0', concluded: 'MIT' } }),
    ).toBeTruthy();
    expect(() => validateEntry({ ...base, license: {} })).toThrow(/no license/);
    expect(() => validateEntry({ ...base, license: { declared: 'LicenseRef-mine' } })).toThrow(
      /LicenseRef-mine is not a built-in license: add license\.refs/,
    );
  });

  it('a file whose SHA-256 differs from the declared one', async () => {
    const dir = `${FIX}openmdw-model`;
    const files = await hashDirectory(dir);
    expect(files.map((f) => f.path)).toEqual(['LICENSE', 'README.md', 'model.safetensors']);
    expect(await verifyFiles(files, dir)).toEqual([]);
    const wrong = files.map((f) => (f.path === 'model.safetensors' ? { ...f, sha256: '0'.repeat(64) } : f));
    const problems = await verifyFiles([...wrong, { path: 'missing.bin', sha256: '1'.repeat(64) }], dir);
    expect(problems[0]).toMatch(
      /^model\.safetensors: SHA-256 mismatch \(declared 0{64}, file has [a-f0-9]{64}\)$/,
    );
    expect(problems[1]).toMatch(/^missing\.bin: cannot read \(ENOENT\)/);
  });

  it('the same name in the config file and in the store', () => {
    const e = validateEntry({ name: 'a/b', kind: 'model', license: { declared: 'MIT' } });
    expect(() => CatalogView.build([e], [e])).toThrow(CatalogConflictError);
    expect(() => CatalogView.build([e], [e])).toThrow(
      /"a\/b" defined both in the config file and in the store/,
    );
  });
});

describe('license policy verdicts', () => {
  const entries: CatalogEntryInput[] = [
    importHuggingFaceCard(read('openmdw-model/README.md'), { name: 'example-org/open-model-1b' }),
    importHuggingFaceCard(read('llama-3.1-8b-instruct/README.md'), {
      name: 'meta-llama/Llama-3.1-8B-Instruct',
    }),
    importHuggingFaceCard(read('deepseek-r1/README.md'), { name: 'deepseek-ai/DeepSeek-R1' }),
    importHuggingFaceCard(read('qwen2.5-72b-instruct/README.md'), { name: 'Qwen/Qwen2.5-72B-Instruct' }),
    importHuggingFaceCard(read('fineweb/README.md'), { name: 'HuggingFaceFW/fineweb' }),
    { name: 'Qwen/Qwen2.5-3B-Instruct', kind: 'model', license: { declared: 'LicenseRef-Qwen-Research' } },
  ];
  const view = CatalogView.build(entries.map(validateEntry), []);
  const verdict = (artifact: string, policy: LicensePolicy | null = POLICY) =>
    evaluateConsumers(policy ?? undefined, view, [{ kind: 'agent', name: 'x', artifacts: [artifact] }])[0]!;

  it('allows the OpenMDW model, DeepSeek-R1 (MIT) and the dataset', () => {
    for (const a of ['example-org/open-model-1b', 'deepseek-ai/DeepSeek-R1', 'HuggingFaceFW/fineweb']) {
      expect(verdict(a).verdict, a).toBe('allow');
    }
  });

  it('refuses Llama 3.1 (not allowed) naming artifact, license and rule, and warns on its AUP', () => {
    const v = verdict('meta-llama/Llama-3.1-8B-Instruct');
    expect(v.verdict).toBe('refuse');
    expect(v.findings).toContainEqual({
      level: 'refuse',
      artifact: 'meta-llama/Llama-3.1-8B-Instruct',
      license: 'LicenseRef-Llama-3.1-Community',
      rule: 'allow',
      detail: 'LicenseRef-Llama-3.1-Community is not in the allow list',
    });
    expect(v.findings.some((f) => f.level === 'warn' && f.detail.endsWith('acceptable-use-policy'))).toBe(
      true,
    );
    // Its base model is part of what runs: not in the catalog, so refused as unknown.
    expect(v.artifacts.map((a) => a.artifact)).toEqual([
      'meta-llama/Llama-3.1-8B-Instruct',
      'meta-llama/Meta-Llama-3.1-8B',
    ]);
    expect(v.artifacts[1]!.findings[0]!.rule).toBe('unknown_artifacts');
  });

  it('refuses the Qwen license when listed but MAU-capped and denied by flag', () => {
    const policy = {
      ...POLICY,
      allow: [...POLICY.allow!, 'LicenseRef-Qwen'],
      deny_flags: ['monthly-active-user-cap' as const],
    };
    const v = verdict('Qwen/Qwen2.5-72B-Instruct', policy);
    expect(v.artifacts[0]!.findings).toEqual([
      expect.objectContaining({
        rule: 'deny_flags',
        detail: 'LicenseRef-Qwen carries monthly-active-user-cap',
      }),
    ]);
    const research = verdict('Qwen/Qwen2.5-3B-Instruct', { ...POLICY, allow: undefined });
    expect(research.findings).toEqual([
      expect.objectContaining({
        rule: 'deny_flags',
        detail: 'LicenseRef-Qwen-Research carries non-commercial',
      }),
    ]);
  });

  it('picks the alternative of an OR that passes, and reports the best failing one', () => {
    const v2 = CatalogView.build(
      [validateEntry({ name: 'dual', kind: 'code', license: { declared: 'LicenseRef-Gemma-Terms OR MIT' } })],
      [],
    );
    const [ok] = evaluateConsumers(POLICY, v2, [{ kind: 'upstream', name: 'u', artifacts: ['dual'] }]);
    expect(ok).toMatchObject({ verdict: 'allow', artifacts: [{ license: 'MIT' }] });
  });

  it('without a policy everything known is allowed and unknown names only warn', () => {
    expect(verdict('meta-llama/Llama-3.1-8B-Instruct', null).verdict).toBe('warn');
    expect(verdict('deepseek-ai/DeepSeek-R1', null).verdict).toBe('allow');
  });
});

describe('Model Openness Framework', () => {
  it('has the framework’s 17 components', () => {
    expect(MOF_COMPONENTS).toHaveLength(17);
    expect(new Set(MOF_COMPONENTS.map((c) => c.name)).size).toBe(17);
  });

  it('Class I when every component is openly licensed', () => {
    const e = validateEntry(importMot(read('mot-open-science.yml')));
    expect(evaluateMof(e.mof!.components)).toMatchObject({ class: 'I', label: 'Class I - Open Science' });
  });

  it('Class III and II need their own components and those of the classes above', () => {
    const c3 = {
      'Model architecture': 'Apache-2.0',
      'Model parameters (Final)': 'OpenMDW-1.0',
      'Evaluation results': 'CC-BY-4.0',
      'Model card': 'CC-BY-4.0',
      'Data card': 'CC-BY-4.0',
      'Technical report': 'CC-BY-4.0',
    };
    expect(evaluateMof(c3).class).toBe('III');
    const c2 = {
      ...c3,
      'Training code': 'MIT',
      'Inference code': 'MIT',
      'Evaluation code': 'MIT',
      'Evaluation data': 'CDLA-Permissive-2.0',
    };
    expect(evaluateMof(c2).class).toBe('II');
    // Weights under a restrictive license: not open, whatever else is.
    expect(
      evaluateMof({ ...c2, 'Model parameters (Final)': 'LicenseRef-Llama-3.1-Community' }),
    ).toMatchObject({
      class: null,
      label: 'Unclassified',
      classes: { III: { missing: [], notOpen: ['Model parameters (Final)'] } },
    });
    // Apache-2.0 is a code license: evaluation data under it is not openly licensed data.
    expect(evaluateMof({ ...c2, 'Evaluation data': 'Apache-2.0' }).class).toBe('III');
    expect(meetsClass('I', 'III')).toBe(true);
    expect(meetsClass('III', 'II')).toBe(false);
    expect(meetsClass(null, 'III')).toBe(false);
  });

  it('DeepSeek-R1’s MOT file: unclassified, missing the data card', () => {
    const e = validateEntry(importMot(read('mot-deepseek-r1.yml')));
    const m = evaluateMof(e.mof!.components);
    expect(m.class).toBeNull();
    expect(m.classes.III.missing).toEqual(['Data card']);
    expect(m.classes.III.notOpen).toEqual(['Evaluation results', 'Model card', 'Technical report']);
  });

  it('require_mof_class refuses a model below the class, naming the gaps', () => {
    const view = CatalogView.build(
      [
        validateEntry(importMot(read('mot-deepseek-r1.yml'))),
        validateEntry(importMot(read('mot-open-science.yml'))),
      ],
      [],
    );
    const policy = LicensePolicySchema.parse({ require_mof_class: 'III' });
    const [r1, open] = evaluateConsumers(policy, view, [
      { kind: 'agent', name: 'a', artifacts: ['DeepSeek-R1'] },
      { kind: 'agent', name: 'b', artifacts: ['open-science-1b'] },
    ]);
    expect(r1!.verdict).toBe('refuse');
    expect(r1!.findings[0]!.detail).toBe(
      'Class III required, the model is Unclassified (missing Data card; not openly licensed: Evaluation results, Model card, Technical report)',
    );
    expect(open!.verdict).toBe('allow');
  });
});
