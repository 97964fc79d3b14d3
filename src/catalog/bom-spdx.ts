/**
 * SPDX 3.0.1 JSON-LD with the AI and Dataset profiles: models as `ai_AIPackage`, datasets as
 * `dataset_DatasetPackage`, licenses as `simplelicensing_LicenseExpression` joined by
 * `hasDeclaredLicense`/`hasConcludedLicense`, and lineage as `trainedOn`, `testedOn`,
 * `descendantOf` and `dependsOn` relationships. Property names follow the SPDX 3.0.1 model
 * (https://spdx.github.io/spdx-spec/v3.0.1/, github.com/spdx/spdx-3-model).
 *
 * Properties the profiles require but the catalog does not know (a release time, say) are left
 * out rather than invented; `spdxGaps` lists them and `switchyard bom` prints them.
 */
import { randomUUID } from 'node:crypto';
import { knownLicense } from './licenses.js';
import { describeConsumer, isModelKind, selectBom, type BomSource } from './bom-source.js';
import type { ResolvedEntry } from './entry.js';
import type { Consumer } from './policy.js';
import { SPDX_LIST_VERSION, licenseIds, parseExpression } from './spdx.js';

export const SPDX_CONTEXT = 'https://spdx.org/rdf/3.0.1/spdx-context.jsonld';

type Node = Record<string, unknown>;

/** Properties each class must carry (SPDX 3.0.1 minCount ≥ 1, including inherited restrictions). */
export const SPDX_REQUIRED: Readonly<Record<string, readonly string[]>> = {
  CreationInfo: ['specVersion', 'created', 'createdBy'],
  SpdxDocument: ['spdxId', 'creationInfo', 'rootElement'],
  SoftwareAgent: ['spdxId', 'creationInfo', 'name'],
  Organization: ['spdxId', 'creationInfo', 'name'],
  software_Package: ['spdxId', 'creationInfo', 'name'],
  software_File: ['spdxId', 'creationInfo', 'name'],
  ai_AIPackage: [
    'spdxId',
    'creationInfo',
    'name',
    'suppliedBy',
    'software_downloadLocation',
    'software_packageVersion',
    'software_primaryPurpose',
    'releaseTime',
  ],
  dataset_DatasetPackage: [
    'spdxId',
    'creationInfo',
    'name',
    'builtTime',
    'originatedBy',
    'releaseTime',
    'software_downloadLocation',
    'software_primaryPurpose',
    'dataset_datasetType',
  ],
  simplelicensing_LicenseExpression: ['spdxId', 'creationInfo', 'simplelicensing_licenseExpression'],
  Relationship: ['spdxId', 'creationInfo', 'from', 'relationshipType'],
};

/** SPDX `DateTime`: UTC, whole seconds, `Z`. */
const spdxTime = (t: string | Date) => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

export async function buildSpdx(
  source: BomSource,
  opts: { only?: { kind: Consumer['kind']; name: string } } = {},
): Promise<Node> {
  const sel = selectBom(source, opts.only);
  const ns = `urn:switchyard:spdx:${randomUUID()}`;
  const id = (local: string) => `${ns}#${encodeURIComponent(local)}`;
  const graph: Node[] = [];
  const ci = '_:creationinfo';
  const tool = id('agent/switchyard');
  graph.push({
    type: 'CreationInfo',
    '@id': ci,
    specVersion: '3.0.1',
    created: spdxTime(source.timestamp ?? new Date()),
    createdBy: [tool],
  });
  graph.push({
    type: 'SoftwareAgent',
    spdxId: tool,
    creationInfo: ci,
    name: `Switchyard ${source.gateway.version}`,
  });

  let rel = 0;
  const relate = (from: string, type: string, to: string[]) => {
    if (to.length)
      graph.push({
        type: 'Relationship',
        spdxId: id(`rel/${rel++}`),
        creationInfo: ci,
        from,
        to,
        relationshipType: type,
      });
  };

  const suppliers = new Map<string, string>();
  const supplier = (name: string) => {
    let sid = suppliers.get(name);
    if (!sid) {
      sid = id(`org/${name}`);
      suppliers.set(name, sid);
      graph.push({ type: 'Organization', spdxId: sid, creationInfo: ci, name });
    }
    return sid;
  };

  const gateway = id('gateway');
  graph.push({
    type: 'software_Package',
    spdxId: gateway,
    creationInfo: ci,
    name: source.gateway.name,
    software_packageVersion: source.gateway.version,
    software_primaryPurpose: 'application',
  });

  const inBom = new Set(sel.entries.map((r) => r.entry.name));
  const entryId = (name: string) => id(`artifact/${name}`);
  let lic = 0;
  for (const r of sel.entries) graph.push(...artifact(r));

  for (const c of sel.consumers) {
    const cid = id(`${c.kind}/${c.name}`);
    graph.push({
      type: 'software_Package',
      spdxId: cid,
      creationInfo: ci,
      name: c.name,
      description: describeConsumer(c),
      software_primaryPurpose: 'application',
    });
    relate(gateway, 'dependsOn', [cid]);
    relate(cid, 'dependsOn', c.artifacts.filter((a) => inBom.has(a)).map(entryId));
  }

  graph.push({
    type: 'SpdxDocument',
    spdxId: id('document'),
    creationInfo: ci,
    name: `${source.gateway.name} AI bill of materials`,
    profileConformance: ['core', 'software', 'simpleLicensing', 'ai', 'dataset'],
    rootElement: [gateway],
    element: graph.filter((n) => typeof n.spdxId === 'string').map((n) => n.spdxId as string),
  });
  return { '@context': SPDX_CONTEXT, '@graph': graph };

  function artifact(r: ResolvedEntry): Node[] {
    const e = r.entry;
    const sid = entryId(e.name);
    const model = isModelKind(e);
    const node: Node = {
      type: model ? 'ai_AIPackage' : e.kind === 'dataset' ? 'dataset_DatasetPackage' : 'software_Package',
      spdxId: sid,
      creationInfo: ci,
      name: e.name,
      software_primaryPurpose: model
        ? 'model'
        : e.kind === 'dataset'
          ? 'data'
          : e.kind === 'code'
            ? 'library'
            : 'documentation',
    };
    if (e.description) node.description = e.description;
    if (e.version ?? e.revision) node.software_packageVersion = e.version ?? e.revision;
    if (e.downloadLocation) node.software_downloadLocation = e.downloadLocation;
    if (e.purl) node.software_packageUrl = e.purl;
    if (e.releaseTime) node.releaseTime = spdxTime(e.releaseTime);
    if (e.builtTime) node.builtTime = spdxTime(e.builtTime);
    if (e.supplier) {
      if (e.kind === 'dataset') node.originatedBy = [supplier(e.supplier)];
      node.suppliedBy = supplier(e.supplier);
    }
    if (model && e.task) node.ai_typeOfModel = [e.task];
    if (e.kind === 'dataset' && e.datasetType) node.dataset_datasetType = e.datasetType;
    const out: Node[] = [node];

    for (const [key, relType] of [
      ['declared', 'hasDeclaredLicense'],
      ['concluded', 'hasConcludedLicense'],
    ] as const) {
      const expression = e.license[key];
      if (!expression) continue;
      const lid = id(`license/${lic++}`);
      const custom = licenseIds(parseExpression(expression))
        .map((l) => [l, e.license.refs[l]?.url ?? knownLicense(l)?.sources[0]] as const)
        .filter(([l, url]) => l.startsWith('LicenseRef-') && url);
      out.push({
        type: 'simplelicensing_LicenseExpression',
        spdxId: lid,
        creationInfo: ci,
        simplelicensing_licenseExpression: expression,
        simplelicensing_licenseListVersion: e.license.listVersion ?? SPDX_LIST_VERSION,
        ...(custom.length
          ? {
              simplelicensing_customIdToUri: custom.map(([key, value]) => ({
                type: 'DictionaryEntry',
                key,
                value,
              })),
            }
          : {}),
      });
      relate(sid, relType, [lid]);
    }
    const files = e.files.map((f) => {
      const fid = id(`artifact/${e.name}/file/${f.path}`);
      out.push({
        type: 'software_File',
        spdxId: fid,
        creationInfo: ci,
        name: f.path,
        verifiedUsing: [{ type: 'Hash', algorithm: 'sha256', hashValue: f.sha256 }],
      });
      return fid;
    });
    relate(sid, 'contains', files);
    const inside = (names: string[]) => names.filter((n) => inBom.has(n)).map(entryId);
    relate(sid, 'descendantOf', inside(e.relationships.baseModel));
    relate(sid, 'trainedOn', inside(e.relationships.trainedOn));
    relate(sid, 'testedOn', inside(e.relationships.testedOn));
    relate(sid, 'dependsOn', inside(e.relationships.dependsOn));
    return out;
  }
}

/** Required properties missing from the document, as `<type> <name or id>: <property>` lines. */
export function spdxGaps(doc: Node): string[] {
  const gaps: string[] = [];
  for (const n of (doc['@graph'] ?? []) as Node[]) {
    const type = String(n.type);
    for (const prop of SPDX_REQUIRED[type] ?? []) {
      const v = n[prop];
      if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) {
        gaps.push(`${type} ${String(n.name ?? n.spdxId ?? n['@id'])}: ${prop}`);
      }
    }
  }
  return gaps;
}
