/**
 * The Model Openness Framework (MOF, LF AI & Data): the 17 components of a model release and
 * the three classes, computed from the license of each component.
 *
 * Components, content types and class membership follow the Model Openness Tool's settings
 * (github.com/lfai/model_openness_tool, web/modules/mof/config/install/mof.settings.yml): a class
 * is met when every required component of that class and of the classes above it is included
 * under an open license suited to its content type. Class I is the most open.
 */
import { knownLicense } from './licenses.js';
import { alternatives, parseExpression } from './spdx.js';

export type ContentType = 'code' | 'data' | 'document';
export type MofClass = 'I' | 'II' | 'III';

export interface MofComponent {
  name: string;
  /** The least open class that requires it (3 = Class III, Open Model). */
  cls: 1 | 2 | 3;
  required: boolean;
  contentTypes: readonly ContentType[];
}

export const MOF_COMPONENTS: readonly MofComponent[] = [
  { name: 'Model architecture', cls: 3, required: true, contentTypes: ['code'] },
  { name: 'Model parameters (Final)', cls: 3, required: true, contentTypes: ['data', 'code'] },
  { name: 'Evaluation results', cls: 3, required: true, contentTypes: ['document', 'code'] },
  { name: 'Model card', cls: 3, required: true, contentTypes: ['document', 'code'] },
  { name: 'Data card', cls: 3, required: true, contentTypes: ['document', 'code'] },
  { name: 'Technical report', cls: 3, required: true, contentTypes: ['document', 'code'] },
  { name: 'Sample model outputs', cls: 3, required: false, contentTypes: ['data', 'code', 'document'] },
  { name: 'Training code', cls: 2, required: true, contentTypes: ['code'] },
  { name: 'Inference code', cls: 2, required: true, contentTypes: ['code'] },
  { name: 'Evaluation code', cls: 2, required: true, contentTypes: ['code'] },
  { name: 'Evaluation data', cls: 2, required: true, contentTypes: ['data'] },
  { name: 'Supporting libraries and tools', cls: 2, required: false, contentTypes: ['code'] },
  { name: 'Datasets', cls: 1, required: true, contentTypes: ['data', 'code', 'document'] },
  { name: 'Data preprocessing code', cls: 1, required: true, contentTypes: ['code'] },
  { name: 'Model parameters (Intermediate)', cls: 1, required: true, contentTypes: ['data'] },
  { name: 'Research paper', cls: 1, required: true, contentTypes: ['document'] },
  { name: 'Model metadata', cls: 1, required: false, contentTypes: ['data'] },
];

export const MOF_COMPONENT_NAMES = MOF_COMPONENTS.map((c) => c.name) as [string, ...string[]];

/** A component's value besides a license expression. */
export const NOT_INCLUDED = 'not-included';
export const UNSPECIFIED = 'unspecified';

export const MOF_CLASS_LABEL: Record<MofClass, string> = {
  III: 'Class III - Open Model',
  II: 'Class II - Open Tooling',
  I: 'Class I - Open Science',
};

/** Open licenses per content type, as the MOF recommends: OSI-approved for code, open data and documentation licenses otherwise. */
const OPEN: Record<ContentType, ReadonlySet<string>> = {
  code: new Set([
    '0BSD',
    'AFL-3.0',
    'AGPL-3.0-only',
    'AGPL-3.0-or-later',
    'Apache-2.0',
    'Artistic-2.0',
    'BSD-2-Clause',
    'BSD-3-Clause',
    'BSL-1.0',
    'ECL-2.0',
    'EPL-2.0',
    'EUPL-1.2',
    'GPL-2.0-only',
    'GPL-2.0-or-later',
    'GPL-3.0-only',
    'GPL-3.0-or-later',
    'ISC',
    'LGPL-2.1-only',
    'LGPL-2.1-or-later',
    'LGPL-3.0-only',
    'LGPL-3.0-or-later',
    'MIT',
    'MIT-0',
    'MPL-2.0',
    'MulanPSL-2.0',
    'NCSA',
    'UPL-1.0',
    'Zlib',
  ]),
  data: new Set([
    'CC0-1.0',
    'CC-BY-4.0',
    'CC-BY-SA-4.0',
    'CDLA-Permissive-1.0',
    'CDLA-Permissive-2.0',
    'CDLA-Sharing-1.0',
    'ODbL-1.0',
    'ODC-By-1.0',
    'PDDL-1.0',
  ]),
  document: new Set(['CC0-1.0', 'CC-BY-3.0', 'CC-BY-4.0', 'CC-BY-SA-3.0', 'CC-BY-SA-4.0', 'GFDL-1.3-only']),
};

/** Whether one license id is open for a component that may hold any of these content types. */
export function isOpenFor(id: string, types: readonly ContentType[]): boolean {
  if (knownLicense(id)?.open) {
    // The permissive model licenses (OpenMDW) cover every kind of material; Apache-2.0 and MIT are code licenses.
    return id.includes('OpenMDW') || types.includes('code');
  }
  return types.some((t) => OPEN[t].has(id));
}

/** An expression is open when some alternative consists of open licenses only. */
export function isOpenExpression(expression: string, types: readonly ContentType[]): boolean {
  return alternatives(parseExpression(expression)).some((alt) => alt.every((id) => isOpenFor(id, types)));
}

export interface MofEvaluation {
  /** The most open class met, or null (unclassified). */
  class: MofClass | null;
  label: string;
  /** Per class: required components missing (not included or not given) and those not openly licensed. */
  classes: Record<MofClass, { missing: string[]; notOpen: string[] }>;
}

/** Compute the class from per-component licenses (component name → expression | not-included | unspecified). */
export function evaluateMof(components: Readonly<Partial<Record<string, string>>>): MofEvaluation {
  const classes = {} as MofEvaluation['classes'];
  const tiers: [MofClass, number][] = [
    ['III', 3],
    ['II', 2],
    ['I', 1],
  ];
  for (const [cls, level] of tiers) {
    const missing: string[] = [];
    const notOpen: string[] = [];
    for (const c of MOF_COMPONENTS) {
      if (!c.required || c.cls < level) continue;
      const value = components[c.name];
      if (value === undefined || value === NOT_INCLUDED) missing.push(c.name);
      else if (value === UNSPECIFIED || !isOpenExpression(value, c.contentTypes)) notOpen.push(c.name);
    }
    classes[cls] = { missing, notOpen };
  }
  const met = (['I', 'II', 'III'] as const).find(
    (c) => classes[c].missing.length === 0 && classes[c].notOpen.length === 0,
  );
  return { class: met ?? null, label: met ? MOF_CLASS_LABEL[met] : 'Unclassified', classes };
}

/** Class I is the most open: does `actual` meet the `required` class? */
export function meetsClass(actual: MofClass | null, required: MofClass): boolean {
  const rank = { I: 1, II: 2, III: 3 } as const;
  return actual !== null && rank[actual] <= rank[required];
}
