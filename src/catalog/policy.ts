/**
 * License policy: which artifacts a consumer (an MCP upstream now, a declared agent later) may
 * use. Each consumer names catalog entries; each entry (with its base models and run-time
 * dependencies) is checked against `licensePolicy`, and the consumer is allowed, warned or refused.
 */
import type { LicensePolicy } from '../config/schema.js';
import { flagsOf, type CatalogView, type ResolvedEntry } from './entry.js';
import { meetsClass } from './mof.js';

export interface Consumer {
  kind: 'upstream' | 'agent';
  name: string;
  /** Catalog entry names it declares. */
  artifacts: readonly string[];
}

export type Verdict = 'allow' | 'warn' | 'refuse';

export interface Finding {
  level: 'warn' | 'refuse';
  artifact: string;
  /** The license (alternative) the finding is about. */
  license?: string;
  /** Which rule: `allow`, `deny`, `deny_flags`, `warn_flags`, `require_mof_class`, `unknown_artifacts`. */
  rule: string;
  detail: string;
}

export interface ArtifactVerdict {
  artifact: string;
  verdict: Verdict;
  /** The alternative of an OR expression the verdict is based on. */
  license?: string;
  findings: Finding[];
}

export interface ConsumerVerdict {
  kind: Consumer['kind'];
  name: string;
  verdict: Verdict;
  /** Its artifacts with base models and dependencies, each with its own verdict. */
  artifacts: ArtifactVerdict[];
  findings: Finding[];
}

export function checkArtifact(policy: LicensePolicy | undefined, r: ResolvedEntry): ArtifactVerdict {
  const artifact = r.entry.name;
  if (!policy) return { artifact, verdict: 'allow', license: r.license.expression, findings: [] };
  // Each alternative of an OR is a choice the licensee may make: judge each, keep the best.
  let best: { license: string; findings: Finding[] } | undefined;
  for (const alt of r.license.alternatives) {
    const license = alt.join(' AND ');
    const findings: Finding[] = [];
    const refuse = (rule: string, detail: string) =>
      findings.push({ level: 'refuse', artifact, license, rule, detail });
    for (const id of alt) {
      if (policy.deny.includes(id)) refuse('deny', `${id} is denied`);
      else if (policy.allow && !policy.allow.includes(id)) refuse('allow', `${id} is not in the allow list`);
    }
    const flags = flagsOf(r.entry, alt);
    for (const f of flags.filter((f) => policy.deny_flags.includes(f))) {
      refuse('deny_flags', `${license} carries ${f}`);
    }
    for (const f of flags.filter((f) => policy.warn_flags.includes(f) && !policy.deny_flags.includes(f))) {
      findings.push({
        level: 'warn',
        artifact,
        license,
        rule: 'warn_flags',
        detail: `${license} carries ${f}`,
      });
    }
    if (!best || score(findings) < score(best.findings)) best = { license, findings };
  }
  const findings = [...best!.findings];
  if (policy.require_mof_class && r.entry.kind === 'model') {
    const required = policy.require_mof_class;
    if (!r.mof) {
      findings.push({
        level: 'refuse',
        artifact,
        rule: 'require_mof_class',
        detail: `Class ${required} required; the entry records no Model Openness Framework components`,
      });
    } else if (!meetsClass(r.mof.class, required)) {
      const gap = r.mof.classes[required];
      const why = [
        gap.missing.length ? `missing ${gap.missing.join(', ')}` : '',
        gap.notOpen.length ? `not openly licensed: ${gap.notOpen.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ');
      findings.push({
        level: 'refuse',
        artifact,
        rule: 'require_mof_class',
        detail: `Class ${required} required, the model is ${r.mof.label} (${why})`,
      });
    }
  }
  return { artifact, verdict: verdictOf(findings), license: best!.license, findings };
}

function score(findings: readonly Finding[]): number {
  // A refusal outweighs any number of warnings.
  return findings.reduce((n, f) => n + (f.level === 'refuse' ? 1000 : 1), 0);
}

function verdictOf(findings: readonly Finding[]): Verdict {
  if (findings.some((f) => f.level === 'refuse')) return 'refuse';
  return findings.length > 0 ? 'warn' : 'allow';
}

export function evaluateConsumers(
  policy: LicensePolicy | undefined,
  view: CatalogView,
  consumers: readonly Consumer[],
): ConsumerVerdict[] {
  return consumers.map((c) => {
    const artifacts = view.closure(c.artifacts).map((name): ArtifactVerdict => {
      const r = view.get(name);
      if (r) return checkArtifact(policy, r);
      const level = policy?.unknown_artifacts ?? 'warn';
      const findings: Finding[] = [
        { level, artifact: name, rule: 'unknown_artifacts', detail: `"${name}" is not in the catalog` },
      ];
      return { artifact: name, verdict: level, findings };
    });
    const findings = artifacts.flatMap((a) => a.findings);
    return { kind: c.kind, name: c.name, verdict: verdictOf(findings), artifacts, findings };
  });
}

/** One line per finding: what, which license, which rule. */
export function describeFinding(f: Finding): string {
  return `${f.artifact}${f.license ? ` (${f.license})` : ''}: ${f.detail} [rule ${f.rule}]`;
}
