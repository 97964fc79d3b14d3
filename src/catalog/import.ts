/**
 * Importers: a Hugging Face model or dataset card (README.md YAML front matter), a CNCF ModelPack
 * model config (application/vnd.cncf.model.config.v1+json), and a Model Openness Tool YAML file.
 * Each produces a catalog entry draft; `validateEntry` then applies the same rules as everywhere.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PackageURL } from 'packageurl-js';
import { parse as parseYaml } from 'yaml';
import type { CatalogEntryInput } from '../config/schema.js';
import { HF_LICENSE_KEYS, KNOWN_LICENSES } from './licenses.js';
import { MOF_COMPONENT_NAMES, NOT_INCLUDED, UNSPECIFIED } from './mof.js';
import { canonicalId, isValidExpression } from './spdx.js';

/** A problem with the imported document itself (no license, unknown key, bad shape). */
export class ImportError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
    this.name = 'ImportError';
  }
}

export type ImportFormat = 'huggingface' | 'modelpack' | 'mot';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
const strList = (v: unknown): string[] =>
  (Array.isArray(v) ? v : v === undefined ? [] : [v]).filter((x): x is string => typeof x === 'string');

// ---- Hugging Face cards ------------------------------------------------------------------------

export interface HfOptions {
  /** The repo id, `org/name`. */
  name: string;
  kind?: 'model' | 'dataset';
  /** The commit the card was read at. */
  revision?: string;
  source?: string;
}

/** Keys only dataset cards carry (https://huggingface.co/docs/hub/datasets-cards). */
const DATASET_KEYS = ['task_categories', 'size_categories', 'dataset_info', 'source_datasets', 'pretty_name'];

export function frontMatter(text: string, source: string): Obj {
  const m = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\s*(\r?\n|$)/.exec(text);
  if (!m) throw new ImportError(source, 'no YAML front matter: the card declares no license');
  let meta: unknown;
  try {
    meta = parseYaml(m[1]!);
  } catch (err) {
    throw new ImportError(source, `front matter is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObj(meta)) throw new ImportError(source, 'front matter is not a mapping');
  return meta;
}

export function importHuggingFaceCard(text: string, opts: HfOptions): CatalogEntryInput {
  const source = opts.source ?? 'README.md';
  const meta = frontMatter(text, source);
  const kind =
    opts.kind ?? (DATASET_KEYS.some((k) => k in meta) && !('pipeline_tag' in meta) ? 'dataset' : 'model');
  const hub = `https://huggingface.co/${kind === 'dataset' ? 'datasets/' : ''}${opts.name}`;
  const license = hfLicense(meta, hub, source);
  const [org, ...rest] = opts.name.split('/');
  const entry: CatalogEntryInput = {
    name: opts.name,
    kind,
    ...(opts.revision ? { revision: opts.revision } : {}),
    ...(rest.length > 0 ? { supplier: org } : {}),
    downloadLocation: hub,
    license,
  };
  // The purl type `huggingface` names models: pkg:huggingface/<org>/<name>@<commit>.
  if (kind === 'model' && rest.length > 0) {
    entry.purl = new PackageURL('huggingface', org, rest.join('/'), opts.revision ?? undefined).toString();
  }
  const task = str(meta.pipeline_tag);
  if (task) entry.task = task;
  const pretty = str(meta.pretty_name) ?? str(meta.model_name);
  if (pretty) entry.description = pretty;
  const baseModel = strList(meta.base_model);
  const datasets = strList(meta.datasets);
  if (kind === 'model' && (baseModel.length || datasets.length)) {
    entry.relationships = { baseModel, trainedOn: datasets };
  }
  if (kind === 'dataset') {
    const categories = strList(meta.task_categories);
    const modality = strList(meta.modality ?? meta.modalities);
    const types = new Set<string>();
    for (const m of modality)
      if (['text', 'image', 'audio', 'video', 'tabular'].includes(m))
        types.add(m === 'tabular' ? 'structured' : m);
    if (types.size === 0 && categories.some((c) => /text|question|translation|summar/.test(c)))
      types.add('text');
    if (types.size > 0) entry.datasetType = [...types] as CatalogEntryInput['datasetType'];
  }
  return entry;
}

/** `license:` (a Hugging Face key) → SPDX expression; `license: other` uses `license_name` and `license_link`. */
function hfLicense(meta: Obj, hub: string, source: string): NonNullable<CatalogEntryInput['license']> {
  const keys = strList(meta.license);
  if (keys.length === 0)
    throw new ImportError(source, 'the card declares no license (no `license:` in its front matter)');
  if (keys.length > 1) {
    throw new ImportError(
      source,
      `the card lists several licenses (${keys.join(', ')}); import it and set license.declared by hand`,
    );
  }
  const key = keys[0]!.toLowerCase();
  if (key !== 'other') {
    const id = HF_LICENSE_KEYS[key] ?? canonicalId(key);
    if (!id) throw new ImportError(source, `unknown Hugging Face license key "${keys[0]}"`);
    return { declared: id };
  }
  const name = str(meta.license_name);
  if (!name) throw new ImportError(source, '`license: other` without `license_name`');
  const known = HF_LICENSE_KEYS[name.toLowerCase()] ?? canonicalId(name);
  if (known) return { declared: known };
  const link = str(meta.license_link);
  if (!link) {
    throw new ImportError(
      source,
      `license "${name}" is not built in and the card gives no license_link to its text`,
    );
  }
  const ref = `LicenseRef-${name.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '')}`;
  const url = /^https?:\/\//.test(link) ? link : `${hub}/blob/main/${link.replace(/^\.?\//, '')}`;
  return { declared: ref, refs: { [ref]: { name, url } } };
}

// ---- ModelPack ---------------------------------------------------------------------------------

/** A CNCF ModelPack model config (https://github.com/modelpack/model-spec/blob/main/docs/config.md). */
export function importModelPack(
  json: unknown,
  opts: { name?: string; source?: string } = {},
): CatalogEntryInput {
  const source = opts.source ?? 'config.json';
  if (!isObj(json) || !isObj(json.descriptor))
    throw new ImportError(source, 'not a ModelPack config: no `descriptor` object');
  if (!isObj(json.modelfs) || json.modelfs.type !== 'layers') {
    throw new ImportError(source, 'not a ModelPack config: `modelfs.type` must be "layers"');
  }
  const d = json.descriptor;
  const name = opts.name ?? str(d.name);
  if (!name) throw new ImportError(source, 'descriptor.name is missing (pass a name)');
  const licenses = strList(d.licenses);
  if (licenses.length === 0)
    throw new ImportError(source, 'descriptor.licenses is empty: the model declares no license');
  const declared = licenses.length === 1 ? licenses[0]! : licenses.map((l) => `(${l})`).join(' AND ');
  const diffIds = strList(json.modelfs.diff_ids);
  const entry: CatalogEntryInput = {
    name,
    kind: 'model',
    license: { declared },
    files: diffIds.map((id, i) => {
      const m = /^sha256:([a-f0-9]{64})$/.exec(id);
      if (!m) throw new ImportError(source, `modelfs.diff_ids[${i}] is not a sha256 digest`);
      return { path: `modelfs.diff_ids[${i}]`, sha256: m[1]! };
    }),
  };
  const version = str(d.version);
  if (version) entry.version = version;
  const revision = str(d.revision);
  if (revision && /^[a-f0-9]{40}$/.test(revision)) entry.revision = revision;
  const supplier = str(d.vendor) ?? strList(d.authors)[0];
  if (supplier) entry.supplier = supplier;
  const created = str(d.createdAt);
  if (created) entry.releaseTime = created;
  const location = str(d.sourceURL) ?? str(d.docURL);
  if (location) entry.downloadLocation = location;
  const description = str(d.description) ?? str(d.title);
  if (description) entry.description = description;
  return entry;
}

// ---- Model Openness Tool -----------------------------------------------------------------------

const MOT_NOT_INCLUDED = 'component not included';
const MOT_UNSPECIFIED = 'license not specified';

/** A Model Openness Tool model file (https://github.com/lfai/model_openness_tool, models/*.yml). */
export function importMot(text: string, opts: { source?: string } = {}): CatalogEntryInput {
  const source = opts.source ?? 'model.yml';
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ImportError(source, `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObj(doc) || !isObj(doc.framework) || doc.framework.name !== 'Model Openness Framework') {
    throw new ImportError(
      source,
      'not a Model Openness Tool file: framework.name must be "Model Openness Framework"',
    );
  }
  if (!isObj(doc.release)) throw new ImportError(source, 'no `release` section');
  const release = doc.release;
  const name = str(release.name);
  if (!name) throw new ImportError(source, 'release.name is missing');
  const components: Record<string, string> = {};
  const refs: Record<string, { name: string; url: string }> = {};
  for (const c of Array.isArray(release.components) ? release.components : []) {
    if (!isObj(c)) continue;
    const component = str(c.name);
    if (!component || !MOF_COMPONENT_NAMES.includes(component)) {
      throw new ImportError(source, `unknown MOF component "${String(c.name)}"`);
    }
    const licenseName = str(c.license_name) ?? '';
    const lower = licenseName.toLowerCase();
    if (lower === MOT_NOT_INCLUDED) components[component] = NOT_INCLUDED;
    else if (lower === MOT_UNSPECIFIED || lower === '') components[component] = UNSPECIFIED;
    else if (isValidExpression(licenseName)) components[component] = licenseName;
    else {
      const known = canonicalId(licenseName) ?? KNOWN_LICENSES.find((l) => l.name === licenseName)?.id;
      if (known) components[component] = known;
      else {
        const ref = `LicenseRef-${licenseName.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '')}`;
        components[component] = ref;
        const path = str(c.license_path);
        if (path && /^https?:\/\//.test(path)) refs[ref] = { name: licenseName, url: path };
      }
    }
  }
  const weights = components['Model parameters (Final)'];
  if (!weights || weights === NOT_INCLUDED || weights === UNSPECIFIED) {
    throw new ImportError(
      source,
      'no license given for "Model parameters (Final)": the model declares no license',
    );
  }
  const entry: CatalogEntryInput = {
    name,
    kind: 'model',
    license: { declared: weights, ...(refs[weights] ? { refs: { [weights]: refs[weights] } } : {}) },
    mof: { components },
  };
  const version = str(release.version);
  if (version) entry.version = version;
  const producer = str(release.producer);
  if (producer) entry.supplier = producer;
  const date = str(release.date);
  if (date && /^\d{4}-\d{2}-\d{2}$/.test(date)) entry.releaseTime = `${date}T00:00:00Z`;
  return entry;
}

// ---- files -------------------------------------------------------------------------------------

/** Hashing is bounded: a directory with more files than this is refused. */
export const MAX_FILES = 10_000;

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** SHA-256 of every regular file under `dir` (dot-directories such as .git skipped), paths with `/`. */
export async function hashDirectory(
  dir: string,
  skip: readonly string[] = [],
): Promise<{ path: string; sha256: string; size: number }[]> {
  const out: { path: string; sha256: string; size: number }[] = [];
  const walk = async (d: string): Promise<void> => {
    // Code-point order: the same on every machine, whatever its locale.
    const ents = (await readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const ent of ents) {
      if (ent.name.startsWith('.')) continue;
      const full = join(d, ent.name);
      if (ent.isDirectory()) await walk(full);
      else if (ent.isFile()) {
        const path = relative(dir, full).split(sep).join('/');
        if (skip.includes(path)) continue;
        if (out.length >= MAX_FILES) throw new Error(`${dir}: more than ${MAX_FILES} files`);
        out.push({ path, sha256: await sha256File(full), size: (await stat(full)).size });
      }
    }
  };
  await walk(dir);
  return out;
}

/** Check the declared hashes against the files under `dir`; every mismatch and missing file is listed. */
export async function verifyFiles(
  files: readonly { path: string; sha256: string }[],
  dir: string,
): Promise<string[]> {
  const problems: string[] = [];
  for (const f of files) {
    const full = join(dir, ...f.path.split('/'));
    if (relative(dir, full).startsWith('..')) {
      problems.push(`${f.path}: outside ${dir}`);
      continue;
    }
    let actual: string;
    try {
      actual = await sha256File(full);
    } catch (err) {
      problems.push(
        `${f.path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
      continue;
    }
    if (actual !== f.sha256)
      problems.push(`${f.path}: SHA-256 mismatch (declared ${f.sha256}, file has ${actual})`);
  }
  return problems;
}
