/**
 * CycloneDX 1.6 JSON: models as `machine-learning-model` components with a `modelCard`, datasets
 * as `data` components, licenses, SHA-256 hashes (as `file` sub-components), dependencies, and
 * the gateway's upstreams as services. Built with @cyclonedx/cyclonedx-library and validated
 * against the official 1.6 JSON schema before it is returned.
 *
 * The library has no model for `modelCard`, so it is added to the serialized components before
 * validation; the schema check covers it.
 */
import { randomUUID } from 'node:crypto';
import type * as CdxModule from '@cyclonedx/cyclonedx-library';
import type { CatalogEntry } from '../config/schema.js';
import { knownLicense } from './licenses.js';
import { allFlags, type ResolvedEntry } from './entry.js';
import { describeConsumer, isModelKind, selectBom, type BomSource } from './bom-source.js';
import type { Consumer } from './policy.js';
import { SPDX_LIST_VERSION, isLicenseRef, parseExpression } from './spdx.js';

type Cdx = typeof CdxModule;

/** Loaded on first use: a gateway that never builds a BOM never loads the library. */
let cdxModule: Promise<Cdx> | undefined;
const loadCdx = () => (cdxModule ??= import('@cyclonedx/cyclonedx-library'));

/**
 * One validator for the process: it compiles the CycloneDX 1.6 schema on first use (about a
 * quarter of a second of CPU) and keeps it.
 */
let validator: InstanceType<Cdx['Validation']['JsonValidator']> | undefined;
const cdxValidator = (cdx: Cdx) => (validator ??= new cdx.Validation.JsonValidator(cdx.Spec.Version.v1dot6));

export const entryRef = (name: string) => `catalog:${name}`;
export const consumerRef = (c: Pick<Consumer, 'kind' | 'name'>) => `${c.kind}:${c.name}`;

/**
 * The `licenses` of one component. A single listed id is emitted as `license.id` only when the
 * validator's bundled SPDX list knows it (`isKnownId`); otherwise — an id newer than that list,
 * such as OpenMDW-1.0 for an older library — it is emitted as an `expression`, which the schema
 * accepts for any id. A single LicenseRef becomes a named license with its text or URL.
 */
export function cdxLicenses(
  cdx: Cdx,
  entry: CatalogEntry,
  expression: string,
  isKnownId: (id: string) => boolean,
): InstanceType<Cdx['Models']['LicenseRepository']> {
  const { Models } = cdx;
  const repo = new Models.LicenseRepository();
  const node = parseExpression(expression);
  if ('license' in node && !node.plus && !node.exception) {
    const id = node.license;
    if (isLicenseRef(id)) {
      const ref = entry.license.refs[id];
      const known = knownLicense(id);
      repo.add(
        new Models.NamedLicense(ref?.name ?? known?.name ?? id, {
          ...(ref?.url || known?.sources[0] ? { url: ref?.url ?? known!.sources[0] } : {}),
          ...(ref?.text ? { text: new Models.Attachment(ref.text, { contentType: 'text/plain' }) } : {}),
        }),
      );
      return repo;
    }
    if (isKnownId(id)) {
      repo.add(new Models.SpdxLicense(id));
      return repo;
    }
  }
  repo.add(new Models.LicenseExpression(expression));
  return repo;
}

export interface CycloneDxOptions {
  only?: { kind: Consumer['kind']; name: string };
  /** Which SPDX ids may be emitted as `license.id`; default: the library's bundled list. */
  isKnownId?: (id: string) => boolean;
}

export async function buildCycloneDx(
  source: BomSource,
  opts: CycloneDxOptions = {},
): Promise<Record<string, unknown>> {
  const cdx = await loadCdx();
  const { Enums, Models, Serialize, Spec, SPDX } = cdx;
  const isKnownId = opts.isKnownId ?? ((id: string) => SPDX.isSupportedSpdxId(id));
  const sel = selectBom(source, opts.only);
  const inBom = new Set(sel.entries.map((r) => r.entry.name));

  const bom = new Models.Bom({ serialNumber: `urn:uuid:${randomUUID()}` });
  const gateway = new Models.Component(Enums.ComponentType.Application, source.gateway.name, {
    bomRef: 'gateway',
    version: source.gateway.version,
  });
  bom.metadata.timestamp = source.timestamp ?? new Date();
  bom.metadata.component = gateway;
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, 'switchyard', { version: source.gateway.version }),
  );

  // Dependencies must point at the components' own BomRef objects (the library matches by identity).
  const components = new Map(sel.entries.map((r) => [r.entry.name, component(cdx, r, isKnownId)]));
  for (const r of sel.entries) {
    const c = components.get(r.entry.name)!;
    for (const dep of [...r.entry.relationships.baseModel, ...r.entry.relationships.dependsOn]) {
      const target = components.get(dep);
      if (target) c.dependencies.add(target.bomRef);
    }
    bom.components.add(c);
  }

  const verdictOf = new Map(source.verdicts.map((v) => [`${v.kind}:${v.name}`, v.verdict]));
  for (const c of sel.consumers) {
    const service = new Models.Service(c.name, {
      bomRef: consumerRef(c),
      description: describeConsumer(c),
    });
    service.properties.add(new Models.Property('switchyard:consumer:kind', c.kind));
    if (c.transport) service.properties.add(new Models.Property('switchyard:transport', c.transport));
    const verdict = verdictOf.get(`${c.kind}:${c.name}`);
    if (verdict) service.properties.add(new Models.Property('switchyard:policy:verdict', verdict));
    for (const a of c.artifacts) {
      const target = components.get(a);
      if (target) service.dependencies.add(target.bomRef);
    }
    gateway.dependencies.add(service.bomRef);
    bom.services.add(service);
  }

  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  const json = JSON.parse(serializer.serialize(bom, { sortLists: true })) as Record<string, unknown>;
  addModelCards(json, sel.entries, inBom);
  const text = JSON.stringify(json);
  const problems = await cdxValidator(cdx).validate(text);
  if (problems !== null) {
    throw new Error(`CycloneDX output failed schema validation: ${JSON.stringify(problems).slice(0, 2000)}`);
  }
  return json;
}

function component(
  cdx: Cdx,
  r: ResolvedEntry,
  isKnownId: (id: string) => boolean,
): InstanceType<Cdx['Models']['Component']> {
  const { Enums, Models } = cdx;
  const e = r.entry;
  const type = isModelKind(e)
    ? Enums.ComponentType.MachineLearningModel
    : e.kind === 'code'
      ? Enums.ComponentType.Library
      : Enums.ComponentType.Data;
  const c = new Models.Component(type, e.name, {
    bomRef: entryRef(e.name),
    ...(e.version || e.revision ? { version: e.version ?? e.revision } : {}),
    ...(e.purl ? { purl: e.purl } : {}),
    ...(e.description ? { description: e.description } : {}),
    ...(e.supplier ? { supplier: new Models.OrganizationalEntity({ name: e.supplier }) } : {}),
    licenses: cdxLicenses(cdx, e, r.license.expression, isKnownId),
  });
  if (e.downloadLocation) {
    c.externalReferences.add(
      new Models.ExternalReference(e.downloadLocation, Enums.ExternalReferenceType.Distribution),
    );
    if (isModelKind(e) && new URL(e.downloadLocation).hostname === 'huggingface.co') {
      c.externalReferences.add(
        new Models.ExternalReference(e.downloadLocation, Enums.ExternalReferenceType.ModelCard),
      );
    }
  }
  for (const f of e.files) {
    const file = new Models.Component(Enums.ComponentType.File, f.path, {
      bomRef: `${entryRef(e.name)}#${f.path}`,
    });
    file.hashes.set(Enums.HashAlgorithm['SHA-256'], f.sha256);
    c.components.add(file);
  }
  const props: [string, string][] = [
    ['switchyard:catalog:kind', e.kind],
    ['switchyard:catalog:origin', r.origin],
    ['switchyard:license:expression', r.license.expression],
    ['switchyard:license:listVersion', e.license.listVersion ?? SPDX_LIST_VERSION],
  ];
  if (e.revision) props.push(['switchyard:revision', e.revision]);
  if (e.license.declared) props.push(['switchyard:license:declared', e.license.declared]);
  if (e.license.concluded) props.push(['switchyard:license:concluded', e.license.concluded]);
  const flags = allFlags(r);
  if (flags.length) props.push(['switchyard:license:flags', flags.join(',')]);
  if (r.mof) props.push(['switchyard:mof:class', r.mof.label]);
  for (const [k, v] of props) c.properties.add(new Models.Property(k, v));
  return c;
}

/** CycloneDX 1.6 `modelCard.modelParameters`: the task and the datasets (by bom-ref) it was trained and tested on. */
function addModelCards(
  json: Record<string, unknown>,
  entries: readonly ResolvedEntry[],
  inBom: ReadonlySet<string>,
) {
  const byRef = new Map(entries.map((r) => [entryRef(r.entry.name), r.entry]));
  for (const c of (json.components ?? []) as Record<string, unknown>[]) {
    const e = byRef.get(String(c['bom-ref']));
    if (!e || !isModelKind(e)) continue;
    const datasets = [...e.relationships.trainedOn, ...e.relationships.testedOn]
      .filter((d, i, all) => inBom.has(d) && all.indexOf(d) === i)
      .map((d) => ({ ref: entryRef(d) }));
    const modelParameters: Record<string, unknown> = {};
    if (e.task) modelParameters.task = e.task;
    if (datasets.length) modelParameters.datasets = datasets;
    c.modelCard = {
      'bom-ref': `modelcard:${e.name}`,
      ...(Object.keys(modelParameters).length ? { modelParameters } : {}),
    };
  }
}
