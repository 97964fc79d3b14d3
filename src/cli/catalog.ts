/**
 * `switchyard catalog …`: the AI artifact catalog in the store named by the config, and the
 * license-policy verdicts. Entries written here are picked up by a running gateway at its next
 * start or config reload; the admin API (/admin/catalog) applies changes at once.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  Catalog,
  CatalogConflictError,
  ImportError,
  describeFinding,
  entrySummary,
  hashDirectory,
  importHuggingFaceCard,
  importModelPack,
  importMot,
  agentConsumer,
  upstreamConsumer,
  type BomConsumer,
  type ConsumerVerdict,
  type ImportFormat,
  type Judgement,
} from '../catalog/index.js';
import type { AnyUpstreamConfig, CatalogEntryInput, Config } from '../config/schema.js';
import { validateUpstream } from '../config/load.js';
import { GatewayError } from '../errors/index.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { configPath, fail, loadOrExit } from './shared.js';

interface ConfigOpt {
  config?: string;
}

/** Open the config's store, run `fn`, close; catalog and policy errors become one clear line. */
export async function withCatalog<T>(
  opts: ConfigOpt,
  fn: (catalog: Catalog, config: Config, store: Store) => Promise<T>,
): Promise<T> {
  const config = await loadOrExit(configPath(opts.config));
  const store = await openStore(config.store);
  try {
    return await fn(
      new Catalog(
        store,
        () => config,
        (name, problem) => process.stderr.write(`warning: stored entry ${name} skipped: ${problem}\n`),
      ),
      config,
      store,
    );
  } catch (err) {
    if (err instanceof GatewayError) fail(`${err.message}\n  fix: ${err.fix}`);
    if (err instanceof ImportError || err instanceof CatalogConflictError) fail(err.message);
    throw err;
  } finally {
    await store.close();
  }
}

/** Every enabled upstream the gateway would run: the config file's, then those added at runtime. */
export async function consumersOf(config: Config, store: Store): Promise<BomConsumer[]> {
  const specs: AnyUpstreamConfig[] = config.upstreams.filter((u) => u.enabled);
  const taken = new Set(config.upstreams.map((u) => u.name.toLowerCase()));
  for (const stored of await store.upstreams.list()) {
    try {
      const spec = validateUpstream(stored.spec);
      if (spec.enabled && !taken.has(spec.name.toLowerCase())) specs.push(spec);
    } catch {
      // reported by the gateway when it starts; not an artifact question
    }
  }
  return [...specs.map(upstreamConsumer), ...config.agents.map((a) => agentConsumer(a, config.models))];
}

export async function catalogList(opts: ConfigOpt & { json?: boolean }): Promise<void> {
  await withCatalog(opts, async (catalog) => {
    const view = await catalog.view();
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(view.entries.map(entrySummary), null, 2)}\n`);
      return;
    }
    const rows = view.entries.map((r) => {
      const s = entrySummary(r);
      return [
        r.entry.name,
        r.entry.kind,
        s.effectiveLicense,
        s.flags.join(',') || '-',
        r.mof?.label ?? '-',
        r.origin,
      ];
    });
    process.stdout.write(table(['NAME', 'KIND', 'LICENSE', 'FLAGS', 'MOF', 'ORIGIN'], rows));
  });
}

export async function catalogShow(name: string, opts: ConfigOpt): Promise<void> {
  await withCatalog(opts, async (catalog) => {
    const r = (await catalog.view()).get(name);
    if (!r) throw new GatewayError('SWY_CATALOG_NOT_FOUND', { name });
    process.stdout.write(`${JSON.stringify(entrySummary(r), null, 2)}\n`);
  });
}

export async function catalogAdd(file: string, opts: ConfigOpt & { dir?: string }): Promise<void> {
  const text = await readOrFail(file);
  let doc: unknown;
  try {
    doc = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    fail(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const inputs = Array.isArray(doc) ? doc : [doc];
  await withCatalog(opts, async (catalog) => {
    const added = await catalog.add(inputs, opts.dir ? { dir: resolve(opts.dir) } : {});
    process.stdout.write(`added ${added.map((e) => e.name).join(', ')}\n`);
  });
}

export async function catalogImport(
  file: string,
  opts: ConfigOpt & {
    format?: ImportFormat;
    name?: string;
    kind?: 'model' | 'dataset';
    revision?: string;
    dir?: string;
    dryRun?: boolean;
  },
): Promise<void> {
  const entry = await importFile(file, opts);
  if (opts.dryRun) {
    process.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
    return;
  }
  await withCatalog(opts, async (catalog) => {
    const [added] = await catalog.add([entry], opts.dir ? { dir: resolve(opts.dir) } : {});
    process.stdout.write(
      `added ${added!.name} (${added!.kind}, ${added!.license.concluded ?? added!.license.declared})\n`,
    );
  });
}

/** Read one card/config/MOT file (a directory means its README.md, with its files hashed). */
async function importFile(
  file: string,
  opts: { format?: ImportFormat; name?: string; kind?: 'model' | 'dataset'; revision?: string },
): Promise<CatalogEntryInput> {
  let path = resolve(file);
  let hashDir: string | undefined;
  const info = await stat(path).catch(() => fail(`${file}: no such file or directory`));
  if (info.isDirectory()) {
    hashDir = path;
    path = join(path, 'README.md');
  }
  const text = await readOrFail(path);
  const format = opts.format ?? detectFormat(path, text);
  try {
    let entry: CatalogEntryInput;
    if (format === 'huggingface') {
      // A Hugging Face checkout is named after the repo; `--name org/model` gives the full id.
      const name = opts.name ?? basename(dirname(path));
      entry = importHuggingFaceCard(text, { name, source: path, kind: opts.kind, revision: opts.revision });
    } else if (format === 'modelpack') {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new ImportError(path, `not JSON: ${(err as Error).message}`);
      }
      entry = importModelPack(json, { name: opts.name, source: path });
    } else {
      entry = importMot(text, { source: path });
      if (opts.name) entry.name = opts.name;
    }
    if (hashDir) entry.files = await hashDirectory(hashDir);
    return entry;
  } catch (err) {
    if (err instanceof ImportError) fail(err.message);
    throw err;
  }
}

function detectFormat(path: string, text: string): ImportFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.md') return 'huggingface';
  if (ext === '.json') return 'modelpack';
  if ((ext === '.yml' || ext === '.yaml') && /^framework:/m.test(text)) return 'mot';
  fail(`${path}: cannot tell the format; pass --format huggingface|modelpack|mot`);
}

export async function catalogRemove(name: string, opts: ConfigOpt): Promise<void> {
  await withCatalog(opts, async (catalog) => {
    await catalog.remove(name);
    process.stdout.write(`removed ${name}\n`);
  });
}

export async function catalogCheck(opts: ConfigOpt & { json?: boolean }): Promise<void> {
  const judged = await withCatalog(opts, async (catalog, config, store) =>
    catalog.judge(await consumersOf(config, store)),
  );
  if (opts.json) process.stdout.write(`${JSON.stringify({ verdicts: judged.verdicts }, null, 2)}\n`);
  else process.stdout.write(verdictTable(judged));
  if (judged.verdicts.some((v) => v.verdict === 'refuse')) process.exitCode = 1;
}

/** One row per artifact a consumer runs, findings beneath it. */
export function verdictTable(judged: Judgement): string {
  if (judged.verdicts.length === 0) return 'no upstreams or agents to check\n';
  const rows: string[][] = [];
  for (const v of judged.verdicts) {
    const who = `${v.kind} ${v.name}`;
    if (v.artifacts.length === 0) rows.push([who, v.verdict, '(declares no artifacts)']);
    for (const a of v.artifacts) {
      rows.push([who, a.verdict, `${a.artifact}${a.license ? ` (${a.license})` : ''}`]);
      for (const f of a.findings) rows.push(['', '', `  ${f.level}: ${describeFinding(f)}`]);
    }
  }
  const refused = judged.verdicts.filter((v: ConsumerVerdict) => v.verdict === 'refuse').length;
  return `${table(['CONSUMER', 'VERDICT', 'ARTIFACT / FINDING'], rows)}${refused ? `${refused} refused\n` : 'ok\n'}`;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

async function readOrFail(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    fail(
      `${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
    );
  }
}
