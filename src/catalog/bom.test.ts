import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { describe, expect, it } from 'vitest';
import { LicensePolicySchema } from '../config/schema.js';
import { buildCycloneDx } from './bom-cyclonedx.js';
import type { BomSource } from './bom-source.js';
import { SPDX_CONTEXT, SPDX_REQUIRED, buildSpdx, spdxGaps } from './bom-spdx.js';
import { MODEL_LICENSE_EXTENSION_URI, modelLicenseExtension } from './card-extension.js';
import { CatalogView, validateEntry } from './entry.js';
import { evaluateConsumers } from './policy.js';

const SHA = (c: string) => c.repeat(64);

const entries = [
  validateEntry({
    name: 'example-org/open-model-1b',
    kind: 'model',
    version: '1.0',
    revision: 'a'.repeat(40),
    purl: 'pkg:huggingface/example-org/open-model-1b@' + 'a'.repeat(40),
    supplier: 'example-org',
    downloadLocation: 'https://huggingface.co/example-org/open-model-1b',
    releaseTime: '2025-07-01T12:00:00.250Z',
    task: 'text-generation',
    license: { declared: 'OpenMDW-1.0', concluded: 'OpenMDW-1.0' },
    files: [
      { path: 'model.safetensors', sha256: SHA('b') },
      { path: 'tokenizer.json', sha256: SHA('c') },
    ],
    relationships: {
      baseModel: ['example-org/base-1b'],
      trainedOn: ['HuggingFaceFW/fineweb'],
      testedOn: ['example-org/evals'],
    },
  }),
  validateEntry({
    name: 'example-org/base-1b',
    kind: 'model',
    version: '1.0',
    supplier: 'example-org',
    downloadLocation: 'https://huggingface.co/example-org/base-1b',
    releaseTime: '2025-05-01T00:00:00Z',
    license: { declared: 'Apache-2.0 OR MIT' },
  }),
  validateEntry({
    name: 'HuggingFaceFW/fineweb',
    kind: 'dataset',
    version: 'v1.1.0',
    supplier: 'HuggingFaceFW',
    downloadLocation: 'https://huggingface.co/datasets/HuggingFaceFW/fineweb',
    releaseTime: '2024-04-21T00:00:00Z',
    builtTime: '2024-04-01T00:00:00Z',
    datasetType: ['text'],
    license: { declared: 'ODC-By-1.0' },
  }),
  validateEntry({
    name: 'example-org/evals',
    kind: 'dataset',
    version: '2025.1',
    supplier: 'example-org',
    downloadLocation: 'https://example.org/evals.tar',
    releaseTime: '2025-01-01T00:00:00Z',
    builtTime: '2024-12-01T00:00:00Z',
    datasetType: ['text', 'structured'],
    license: {
      declared: 'LicenseRef-evals-terms',
      refs: { 'LicenseRef-evals-terms': { name: 'Evals Terms', text: 'Use for evaluation only.' } },
    },
  }),
  validateEntry({
    name: 'meta-llama/Llama-3.1-8B-Instruct',
    kind: 'model',
    license: { declared: 'LicenseRef-Llama-3.1-Community' },
  }),
];

function source(): BomSource {
  const view = CatalogView.build(entries, []);
  const consumers = [
    {
      kind: 'upstream' as const,
      name: 'writer',
      artifacts: ['example-org/open-model-1b'],
      transport: 'stdio',
    },
    { kind: 'agent' as const, name: 'helper', artifacts: ['meta-llama/Llama-3.1-8B-Instruct'] },
    { kind: 'upstream' as const, name: 'travel', artifacts: [], transport: 'a2a' },
  ];
  const policy = LicensePolicySchema.parse({ warn_flags: ['acceptable-use-policy'] });
  return {
    gateway: { name: 'switchyard', version: '0.1.0' },
    view,
    consumers,
    verdicts: evaluateConsumers(policy, view, consumers),
    timestamp: new Date('2026-01-02T03:04:05.678Z'),
  };
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const validate = (doc: unknown) =>
  new Validation.JsonValidator(Spec.Version.v1dot6).validate(JSON.stringify(doc));

describe('CycloneDX 1.6', () => {
  it('is valid against the official schema, with ML models, data, model cards, hashes and dependencies', async () => {
    const bom = (await buildCycloneDx(source())) as Obj;
    expect(await validate(bom)).toBeNull();
    expect(bom.specVersion).toBe('1.6');
    // The A2A agents reached through the gateway are listed, as such.
    expect(bom.services.find((s: Obj) => s.name === 'travel')).toMatchObject({
      description: 'A2A agent reached through the gateway',
    });
    const byRef = new Map<string, Obj>(bom.components.map((c: Obj) => [c['bom-ref'], c]));
    const model = byRef.get('catalog:example-org/open-model-1b')!;
    expect(model).toMatchObject({
      type: 'machine-learning-model',
      version: '1.0',
      purl: 'pkg:huggingface/example-org/open-model-1b@' + 'a'.repeat(40),
      supplier: { name: 'example-org' },
      licenses: [{ license: { id: 'OpenMDW-1.0' } }],
      modelCard: {
        modelParameters: {
          task: 'text-generation',
          datasets: [{ ref: 'catalog:HuggingFaceFW/fineweb' }, { ref: 'catalog:example-org/evals' }],
        },
      },
    });
    expect(model.components.map((f: Obj) => [f.type, f.name, f.hashes])).toEqual([
      ['file', 'model.safetensors', [{ alg: 'SHA-256', content: SHA('b') }]],
      ['file', 'tokenizer.json', [{ alg: 'SHA-256', content: SHA('c') }]],
    ]);
    expect(byRef.get('catalog:HuggingFaceFW/fineweb')).toMatchObject({
      type: 'data',
      licenses: [{ license: { id: 'ODC-By-1.0' } }],
    });
    expect(byRef.get('catalog:example-org/base-1b')!.licenses).toEqual([{ expression: 'Apache-2.0 OR MIT' }]);
    expect(byRef.get('catalog:example-org/evals')!.licenses).toEqual([
      {
        license: {
          name: 'Evals Terms',
          text: { content: 'Use for evaluation only.', contentType: 'text/plain' },
        },
      },
    ]);
    const llama = byRef.get('catalog:meta-llama/Llama-3.1-8B-Instruct')!;
    expect(llama.properties).toContainEqual({
      name: 'switchyard:license:flags',
      value: 'acceptable-use-policy,monthly-active-user-cap,attribution-required,derivative-restrictions',
    });
    const deps = new Map<string, string[]>(bom.dependencies.map((d: Obj) => [d.ref, d.dependsOn ?? []]));
    expect(deps.get('catalog:example-org/open-model-1b')).toEqual(['catalog:example-org/base-1b']);
    expect(deps.get('upstream:writer')).toEqual(['catalog:example-org/open-model-1b']);
    expect(deps.get('gateway')).toEqual(['agent:helper', 'upstream:travel', 'upstream:writer']);
    expect(bom.services.map((s: Obj) => s.name)).toEqual(['helper', 'travel', 'writer']);
    expect(bom.services.find((s: Obj) => s.name === 'helper').properties).toContainEqual({
      name: 'switchyard:policy:verdict',
      value: 'warn',
    });
  });

  it('emits OpenMDW-1.0 as an expression where the validator’s SPDX list predates it, and stays valid', async () => {
    const bom = (await buildCycloneDx(source(), { isKnownId: (id) => id !== 'OpenMDW-1.0' })) as Obj;
    const model = bom.components.find((c: Obj) => c.name === 'example-org/open-model-1b');
    expect(model.licenses).toEqual([{ expression: 'OpenMDW-1.0' }]);
    expect(await validate(bom)).toBeNull();
    // The validator does check license ids: an id outside its list is rejected.
    model.licenses = [{ license: { id: 'OpenMDW-9.9' } }];
    expect(await validate(bom)).not.toBeNull();
  });

  it('narrows to one consumer: what it runs and the data those were trained on', async () => {
    const bom = (await buildCycloneDx(source(), { only: { kind: 'upstream', name: 'writer' } })) as Obj;
    expect(bom.components.map((c: Obj) => c.name).sort()).toEqual([
      'HuggingFaceFW/fineweb',
      'example-org/base-1b',
      'example-org/evals',
      'example-org/open-model-1b',
    ]);
    expect(bom.services.map((s: Obj) => s.name)).toEqual(['writer']);
    await expect(buildCycloneDx(source(), { only: { kind: 'agent', name: 'nobody' } })).rejects.toThrow(
      'no agent named "nobody"',
    );
  });
});

describe('any entry the catalog accepts', () => {
  it('makes a valid CycloneDX document, at the limits of each field', async () => {
    const edge = validateEntry({
      name: 'edge/a.b_c@d:e+f-'.padEnd(200, 'z'),
      kind: 'model',
      version: 'v'.repeat(1024),
      supplier: '\u0000 ctl \u202e',
      description: '\ud83d\ude00 '.repeat(50),
      downloadLocation: 'https://example.org/a%20b?c=d#e',
      files: [{ path: 'dir/../x y.bin', sha256: SHA('d') }],
      license: { declared: 'LicenseRef-x', refs: { 'LicenseRef-x': { name: '\u202e', text: '\u0000' } } },
    });
    const base = source();
    const bom = await buildCycloneDx({ ...base, view: CatalogView.build([...entries, edge], []) });
    expect(await validate(bom)).toBeNull();
  });

  it('refuses a version longer than CycloneDX allows, naming the field', () => {
    expect(() =>
      validateEntry({ name: 'a/b', kind: 'model', version: 'v'.repeat(1025), license: { declared: 'MIT' } }),
    ).toThrow(/version: at most 1024 characters/);
  });
});

describe('SPDX 3.0.1 JSON-LD', () => {
  it('has the context, a CreationInfo, and every required property of each profile class', async () => {
    const doc = (await buildSpdx(source(), { only: { kind: 'upstream', name: 'writer' } })) as Obj;
    expect(doc['@context']).toBe(SPDX_CONTEXT);
    const graph = doc['@graph'] as Obj[];
    const of = (type: string) => graph.filter((n) => n.type === type);
    expect(of('CreationInfo')).toEqual([
      expect.objectContaining({
        '@id': '_:creationinfo',
        specVersion: '3.0.1',
        created: '2026-01-02T03:04:05Z',
      }),
    ]);
    for (const [type, props] of Object.entries(SPDX_REQUIRED)) {
      for (const node of of(type)) for (const p of props) expect(node[p], `${type}.${p}`).toBeDefined();
    }
    expect(spdxGaps(doc)).toEqual([]);
    expect(
      of('ai_AIPackage')
        .map((n) => n.name)
        .sort(),
    ).toEqual(['example-org/base-1b', 'example-org/open-model-1b']);
    expect(
      of('dataset_DatasetPackage')
        .map((n) => n.name)
        .sort(),
    ).toEqual(['HuggingFaceFW/fineweb', 'example-org/evals']);
    const model = of('ai_AIPackage').find((n) => n.name === 'example-org/open-model-1b')!;
    expect(model).toMatchObject({
      software_primaryPurpose: 'model',
      software_packageVersion: '1.0',
      releaseTime: '2025-07-01T12:00:00Z',
      ai_typeOfModel: ['text-generation'],
    });
    const fineweb = of('dataset_DatasetPackage').find((n) => n.name === 'HuggingFaceFW/fineweb')!;
    expect(fineweb).toMatchObject({ software_primaryPurpose: 'data', dataset_datasetType: ['text'] });
    expect(fineweb.originatedBy).toHaveLength(1);

    const ids = new Map(graph.filter((n) => n.spdxId).map((n) => [n.spdxId, n]));
    const rel = (type: string, from: Obj) =>
      of('Relationship')
        .filter((r) => r.relationshipType === type && r.from === from.spdxId)
        .flatMap((r) => r.to.map((t: string) => ids.get(t)));
    expect(rel('trainedOn', model).map((n) => n.name)).toEqual(['HuggingFaceFW/fineweb']);
    expect(rel('testedOn', model).map((n) => n.name)).toEqual(['example-org/evals']);
    expect(rel('descendantOf', model).map((n) => n.name)).toEqual(['example-org/base-1b']);
    expect(rel('hasDeclaredLicense', model)).toEqual([
      expect.objectContaining({
        type: 'simplelicensing_LicenseExpression',
        simplelicensing_licenseExpression: 'OpenMDW-1.0',
        simplelicensing_licenseListVersion: '3.29.0',
      }),
    ]);
    expect(rel('hasConcludedLicense', model)).toHaveLength(1);
    expect(rel('contains', model).map((f) => [f.type, f.name, f.verifiedUsing])).toEqual([
      ['software_File', 'model.safetensors', [{ type: 'Hash', algorithm: 'sha256', hashValue: SHA('b') }]],
      ['software_File', 'tokenizer.json', [{ type: 'Hash', algorithm: 'sha256', hashValue: SHA('c') }]],
    ]);
    const upstream = graph.find((n) => n.name === 'writer')!;
    expect(rel('dependsOn', upstream).map((n) => n.name)).toEqual(['example-org/open-model-1b']);
    const evals = of('dataset_DatasetPackage').find((n) => n.name === 'example-org/evals')!;
    expect(rel('hasDeclaredLicense', evals)[0]).toMatchObject({
      simplelicensing_licenseExpression: 'LicenseRef-evals-terms',
    });
    const document = of('SpdxDocument')[0]!;
    expect(document.profileConformance).toEqual(['core', 'software', 'simpleLicensing', 'ai', 'dataset']);
    expect(document.element).toHaveLength(ids.size - 1);
  });

  it('lists the required properties the catalog does not know instead of inventing them', async () => {
    const doc = (await buildSpdx(source(), { only: { kind: 'agent', name: 'helper' } })) as Obj;
    expect(spdxGaps(doc)).toEqual([
      'ai_AIPackage meta-llama/Llama-3.1-8B-Instruct: suppliedBy',
      'ai_AIPackage meta-llama/Llama-3.1-8B-Instruct: software_downloadLocation',
      'ai_AIPackage meta-llama/Llama-3.1-8B-Instruct: software_packageVersion',
      'ai_AIPackage meta-llama/Llama-3.1-8B-Instruct: releaseTime',
    ]);
  });
});

describe('the A2A agent card extension', () => {
  it('summarises the agent’s models: license, flags, MOF class and verdict', () => {
    const s = source();
    const helper = s.verdicts.find((v) => v.name === 'helper')!;
    expect(modelLicenseExtension(s.view, helper)).toEqual({
      uri: MODEL_LICENSE_EXTENSION_URI,
      description: expect.any(String),
      required: false,
      params: {
        verdict: 'warn',
        models: [
          {
            name: 'meta-llama/Llama-3.1-8B-Instruct',
            license: 'LicenseRef-Llama-3.1-Community',
            flags: [
              'acceptable-use-policy',
              'monthly-active-user-cap',
              'attribution-required',
              'derivative-restrictions',
            ],
            mofClass: null,
          },
        ],
      },
    });
    const writer = s.verdicts.find((v) => v.name === 'writer')!;
    expect(modelLicenseExtension(s.view, writer).params.models.map((m) => m.name)).toEqual([
      'example-org/open-model-1b',
      'example-org/base-1b',
    ]);
  });
});
