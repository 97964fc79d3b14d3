/** The catalog as JSON for people and tools: entries with effective license, flags and MOF class, plus verdicts. */
import type { BomSource } from './bom-source.js';
import { allFlags, type ResolvedEntry } from './entry.js';

export function entrySummary(r: ResolvedEntry) {
  return {
    ...r.entry,
    origin: r.origin,
    effectiveLicense: r.license.expression,
    flags: allFlags(r),
    ...(r.mof ? { mofClass: r.mof.class, mofLabel: r.mof.label } : {}),
  };
}

export function catalogReport(source: Pick<BomSource, 'view' | 'verdicts'>) {
  return {
    entries: source.view.entries.map(entrySummary),
    verdicts: source.verdicts,
  };
}
