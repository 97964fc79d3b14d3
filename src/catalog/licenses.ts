/**
 * The built-in table of well-known model license terms and the restriction flags each carries,
 * with the public text each row was read from. docs/catalog.md shows the same table.
 *
 * Flags name terms that go beyond the notice-keeping every permissive license asks for: a row
 * has a flag only when the cited text contains the term. An entry may add flags of its own
 * (`license.flags`) for licenses outside this table.
 */

export const FLAGS = [
  'acceptable-use-policy',
  'monthly-active-user-cap',
  'attribution-required',
  'non-commercial',
  'geographic-exclusion',
  'derivative-restrictions',
  'remote-restriction',
] as const;
export type Flag = (typeof FLAGS)[number];

export const FLAG_MEANING: Record<Flag, string> = {
  'acceptable-use-policy': 'use is bound by an acceptable-use / prohibited-use policy',
  'monthly-active-user-cap': 'a separate license is needed above a number of monthly active users',
  'attribution-required': 'products or derived models must display a name or phrase (e.g. "Built with …")',
  'non-commercial': 'commercial use is not granted',
  'geographic-exclusion': 'rights are withheld from licensees in some regions',
  'derivative-restrictions': 'the restrictions must be passed on to derivatives and their users',
  'remote-restriction': 'the licensor reserves the right to restrict use remotely',
};

export interface KnownLicense {
  /** SPDX License List id, or a `LicenseRef-…` for terms outside the list. */
  id: string;
  name: string;
  flags: readonly Flag[];
  /** The monthly-active-user threshold, where the license has one. */
  mauCap?: number;
  /** An open license in the Model Openness Framework's sense, for any component type. */
  open: boolean;
  /** Where the terms were read. */
  sources: readonly string[];
  note: string;
  /** Hugging Face card values (`license:` keys or `license_name:` of `license: other`) meaning this. */
  hfNames?: readonly string[];
}

const LLAMA_COMMON: Flag[] = [
  'acceptable-use-policy',
  'monthly-active-user-cap',
  'attribution-required',
  'derivative-restrictions',
];

export const KNOWN_LICENSES: readonly KnownLicense[] = [
  {
    id: 'OpenMDW-1.0',
    name: 'OpenMDW License Agreement v1.0 (Open Model, Data and Weights)',
    flags: [],
    open: true,
    sources: ['https://spdx.org/licenses/OpenMDW-1.0.html', 'https://github.com/OpenMDW/OpenMDW'],
    note: 'Permissive; covers weights, data, code and documentation of a model release as one whole.',
  },
  {
    id: 'LicenseRef-OpenMDW-1.1',
    name: 'OpenMDW License Agreement v1.1',
    flags: [],
    open: true,
    sources: ['https://openmdw.ai/', 'https://github.com/OpenMDW/OpenMDW/blob/main/1.1/LICENSE.OpenMDW-1.1'],
    note: 'Grants permission to deal in the Model Materials without restriction; not yet on the SPDX list.',
    hfNames: ['openmdw-1.1'],
  },
  {
    id: 'Apache-2.0',
    name: 'Apache License 2.0',
    flags: [],
    open: true,
    sources: ['https://spdx.org/licenses/Apache-2.0.html'],
    note: 'Permissive, with a patent grant; Qwen2.5 models other than 3B and 72B use it.',
  },
  {
    id: 'MIT',
    name: 'MIT License',
    flags: [],
    open: true,
    sources: ['https://spdx.org/licenses/MIT.html', 'https://huggingface.co/deepseek-ai/DeepSeek-R1'],
    note: 'Permissive; DeepSeek-R1 code and weights are released under it.',
  },
  {
    id: 'LicenseRef-Llama-3.1-Community',
    name: 'Llama 3.1 Community License Agreement',
    flags: LLAMA_COMMON,
    mauCap: 700_000_000,
    open: false,
    sources: [
      'https://github.com/meta-llama/llama-models/blob/main/models/llama3_1/LICENSE',
      'https://llama.meta.com/llama3_1/use-policy',
    ],
    note:
      'Above 700 million monthly active users a license must be requested from Meta; "Built with Llama" ' +
      'must be displayed and derived model names must begin with "Llama"; the Acceptable Use Policy applies.',
    hfNames: ['llama3.1'],
  },
  {
    id: 'LicenseRef-Llama-3.2-Community',
    name: 'Llama 3.2 Community License Agreement',
    flags: [...LLAMA_COMMON, 'geographic-exclusion'],
    mauCap: 700_000_000,
    open: false,
    sources: [
      'https://github.com/meta-llama/llama-models/blob/main/models/llama3_2/LICENSE',
      'https://www.llama.com/llama3_2/use-policy',
    ],
    note:
      'As Llama 3.1; in addition its Acceptable Use Policy withholds the rights to the multimodal models ' +
      'from individuals domiciled, and companies with their principal place of business, in the EU.',
    hfNames: ['llama3.2'],
  },
  {
    id: 'LicenseRef-Llama-3.3-Community',
    name: 'Llama 3.3 Community License Agreement',
    flags: LLAMA_COMMON,
    mauCap: 700_000_000,
    open: false,
    sources: [
      'https://github.com/meta-llama/llama-models/blob/main/models/llama3_3/LICENSE',
      'https://www.llama.com/llama3_3/use-policy',
    ],
    note: 'Same terms as Llama 3.1 (700 million MAU, "Built with Llama", Acceptable Use Policy).',
    hfNames: ['llama3.3'],
  },
  {
    id: 'LicenseRef-Gemma-Terms',
    name: 'Gemma Terms of Use',
    flags: ['acceptable-use-policy', 'derivative-restrictions', 'remote-restriction'],
    open: false,
    sources: ['https://ai.google.dev/gemma/terms', 'https://ai.google.dev/gemma/prohibited_use_policy'],
    note:
      'The Prohibited Use Policy binds users and must be passed on with Model Derivatives (§3.1); Google ' +
      'reserves the right to restrict (remotely or otherwise) usage it believes violates the terms (§3.2).',
    hfNames: ['gemma'],
  },
  {
    id: 'LicenseRef-Qwen',
    name: 'Qwen License Agreement',
    flags: ['monthly-active-user-cap', 'attribution-required'],
    mauCap: 100_000_000,
    open: false,
    sources: ['https://huggingface.co/Qwen/Qwen2.5-72B-Instruct/blob/main/LICENSE'],
    note:
      'Qwen2.5-72B: commercial use above 100 million monthly active users needs a license from Alibaba ' +
      'Cloud; models built or improved with it must display "Built with Qwen" or "Improved using Qwen".',
    hfNames: ['qwen'],
  },
  {
    id: 'LicenseRef-Qwen-Research',
    name: 'Qwen Research License Agreement',
    flags: ['non-commercial', 'attribution-required'],
    open: false,
    sources: ['https://huggingface.co/Qwen/Qwen2.5-3B-Instruct/blob/main/LICENSE'],
    note: 'Qwen2.5-3B: research and non-commercial use only; "Built with Qwen" attribution.',
    hfNames: ['qwen-research'],
  },
  {
    id: 'LicenseRef-DeepSeek-Model-1.0',
    name: 'DeepSeek License Agreement v1.0',
    flags: ['acceptable-use-policy', 'derivative-restrictions'],
    open: false,
    sources: ['https://github.com/deepseek-ai/DeepSeek-V3/blob/main/LICENSE-MODEL'],
    note:
      'OpenRAIL-style: use-based restrictions (Attachment A) that every derivative must carry at minimum. ' +
      'DeepSeek-V3 and earlier models; DeepSeek-R1 is MIT.',
    hfNames: ['deepseek', 'deepseek-license'],
  },
];

const BY_ID = new Map(KNOWN_LICENSES.map((l) => [l.id, l]));

export function knownLicense(id: string): KnownLicense | undefined {
  return BY_ID.get(id);
}

/**
 * Hugging Face `license:` keys that are not SPDX ids themselves (keys equal to an SPDX id, such as
 * `apache-2.0` or `mit`, map to that id case-insensitively).
 * https://huggingface.co/docs/hub/repositories-licenses
 */
export const HF_LICENSE_KEYS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(KNOWN_LICENSES.flatMap((l) => (l.hfNames ?? []).map((n) => [n, l.id] as const))),
  'odc-by': 'ODC-By-1.0',
  odbl: 'ODbL-1.0',
  pddl: 'PDDL-1.0',
  wtfpl: 'WTFPL',
  unlicense: 'Unlicense',
  zlib: 'Zlib',
  postgresql: 'PostgreSQL',
  'bsd-3-clause-clear': 'BSD-3-Clause-Clear',
};
