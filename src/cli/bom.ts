/** `switchyard bom`: the AI bill of materials of the gateway (or one consumer), CycloneDX 1.6 or SPDX 3.0.1. */
import { writeFile } from 'node:fs/promises';
import { buildCycloneDx, buildSpdx, spdxGaps, type BomSource } from '../catalog/index.js';
import { VERSION } from '../version.js';
import { consumersOf, withCatalog } from './catalog.js';
import { fail } from './shared.js';

export async function bom(opts: {
  config?: string;
  format?: string;
  agent?: string;
  upstream?: string;
  out?: string;
}): Promise<void> {
  const format = opts.format ?? 'cyclonedx';
  if (format !== 'cyclonedx' && format !== 'spdx') fail('--format must be cyclonedx or spdx');
  if (opts.agent && opts.upstream) fail('give --agent or --upstream, not both');
  const only = opts.agent
    ? { kind: 'agent' as const, name: opts.agent }
    : opts.upstream
      ? { kind: 'upstream' as const, name: opts.upstream }
      : undefined;
  const doc = await withCatalog(opts, async (catalog, config, store) => {
    const consumers = await consumersOf(config, store);
    const { view, verdicts } = await catalog.judge(consumers);
    // What runs: upstreams the policy refuses are not started, so they are not in the BOM.
    const refused = new Set(verdicts.filter((v) => v.verdict === 'refuse').map((v) => `${v.kind}:${v.name}`));
    const source: BomSource = {
      gateway: { name: config.server.name, version: VERSION },
      view,
      consumers: consumers.filter((c) => !refused.has(`${c.kind}:${c.name}`)),
      verdicts,
    };
    if (only && !source.consumers.some((c) => c.kind === only.kind && c.name === only.name)) {
      const why = refused.has(`${only.kind}:${only.name}`) ? ' (refused by the license policy)' : '';
      fail(`no running ${only.kind} named "${only.name}"${why}`);
    }
    return format === 'cyclonedx' ? buildCycloneDx(source, { only }) : buildSpdx(source, { only });
  });
  if (format === 'spdx') {
    for (const gap of spdxGaps(doc))
      process.stderr.write(`warning: SPDX required property missing: ${gap}\n`);
  }
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  if (opts.out) await writeFile(opts.out, text);
  else process.stdout.write(text);
}
