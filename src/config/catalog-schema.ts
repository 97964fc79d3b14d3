/**
 * The AI artifact catalog's part of the configuration schema (`catalog:` entries and
 * `license_policy:`), also what the admin API and the importers validate entries with
 * (catalog/entry.ts). See docs/catalog.md.
 */
import { z } from 'zod';
import { FLAGS, knownLicense } from '../catalog/licenses.js';
import { MOF_COMPONENT_NAMES, NOT_INCLUDED, UNSPECIFIED } from '../catalog/mof.js';
import {
  SPDX_LIST_VERSION,
  isLicenseRef,
  isListedId,
  licenseIds,
  parseExpression,
  type SpdxNode,
} from '../catalog/spdx.js';

/** Hugging Face repo ids (`org/name`) and OCI-style names are valid artifact names. */
export const ARTIFACT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/@:+-]{0,199}$/;

export const artifactName = z
  .string()
  .regex(
    ARTIFACT_NAME_PATTERN,
    'expected 1-200 characters of A-Z a-z 0-9 . _ / @ : + - (starting with a letter or digit)',
  );

function refineExpression(value: string, ctx: z.core.$RefinementCtx<string>): SpdxNode | undefined {
  try {
    return parseExpression(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return undefined;
  }
}

const licenseExpression = z.string().superRefine((v, ctx) => void refineExpression(v, ctx));

const licenseId = z.string().superRefine((v, ctx) => {
  if (!isListedId(v) && !isLicenseRef(v)) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is neither an SPDX License List id nor a LicenseRef-…` });
  }
});

const rfc3339 = z.iso.datetime({
  offset: true,
  error: 'expected an RFC 3339 date-time, e.g. 2024-07-23T00:00:00Z',
});
const sha256 = z.string().regex(/^[a-f0-9]{64}$/, 'expected a SHA-256 as 64 lowercase hex digits');

export const CATALOG_KINDS = ['model', 'dataset', 'weights', 'code', 'document'] as const;

/** SPDX 3.0.1 Dataset profile `DatasetType` values. */
export const DATASET_TYPES = [
  'audio',
  'categorical',
  'graph',
  'image',
  'noAssertion',
  'numeric',
  'other',
  'sensor',
  'structured',
  'syntactic',
  'text',
  'timeseries',
  'timestamp',
  'video',
] as const;

export const CatalogEntrySchema = z
  .strictObject({
    name: artifactName.describe(
      'Unique name, e.g. the Hugging Face repo id `meta-llama/Llama-3.1-8B-Instruct`.',
    ),
    kind: z.enum(CATALOG_KINDS).describe('What the artifact is.'),
    version: z
      .string()
      .min(1)
      .max(1024, 'at most 1024 characters (the CycloneDX limit for a version)')
      .optional()
      .describe('Human-readable version, at most 1024 characters.'),
    revision: z
      .string()
      .regex(
        /^([a-f0-9]{40}|sha256:[a-f0-9]{64})$/,
        'expected a Hugging Face commit (40 hex digits) or an OCI digest (sha256:<64 hex digits)',
      )
      .optional()
      .describe('Immutable revision: a Hugging Face commit or an OCI digest.'),
    purl: z
      .string()
      .regex(
        /^pkg:[a-z][a-z0-9.+-]*\/[^\s]+$/,
        'expected a package URL, e.g. pkg:huggingface/org/name@<commit>',
      )
      .optional()
      .describe('Package URL (`pkg:huggingface/…`, `pkg:oci/…`).'),
    supplier: z.string().min(1).optional().describe('Who supplies it (organization).'),
    downloadLocation: z.url().optional().describe('Where it can be downloaded.'),
    releaseTime: rfc3339.optional().describe('When it was released (RFC 3339).'),
    builtTime: rfc3339.optional().describe('When it was built or trained (RFC 3339).'),
    description: z.string().optional().describe('One or two sentences.'),
    task: z
      .string()
      .optional()
      .describe('What a model does, e.g. `text-generation` (Hugging Face pipeline tag).'),
    datasetType: z
      .array(z.enum(DATASET_TYPES))
      .optional()
      .describe('For datasets: the SPDX dataset types (text, image, …).'),
    files: z
      .array(
        z.strictObject({
          path: z.string().min(1).describe('Path relative to the artifact root.'),
          sha256: sha256.describe('SHA-256 of the file.'),
          size: z.number().int().min(0).optional().describe('Size in bytes.'),
        }),
      )
      .default([])
      .describe('Files and their SHA-256 hashes (checked by `catalog add --dir`).'),
    relationships: z
      .strictObject({
        baseModel: z
          .array(artifactName)
          .default([])
          .describe('Models this one descends from (fine-tune, quantization…).'),
        trainedOn: z.array(artifactName).default([]).describe('Datasets it was trained on.'),
        testedOn: z.array(artifactName).default([]).describe('Datasets it was evaluated on.'),
        dependsOn: z.array(artifactName).default([]).describe('Other artifacts it needs at run time.'),
      })
      .prefault({})
      .describe('Links to other catalog entries, by name.'),
    license: z
      .strictObject({
        declared: licenseExpression.optional().describe('SPDX license expression the supplier declares.'),
        concluded: licenseExpression
          .optional()
          .describe('SPDX license expression concluded after review (policy uses it when set).'),
        listVersion: z
          .string()
          .regex(/^\d+\.\d+(\.\d+)?$/, 'expected an SPDX License List version such as 3.27')
          .default(SPDX_LIST_VERSION)
          .describe('SPDX License List version the expressions refer to.'),
        refs: z
          .record(
            z.string().regex(/^LicenseRef-[A-Za-z0-9.-]+$/, 'expected LicenseRef-<letters, digits, . or ->'),
            z.strictObject({
              name: z.string().min(1).describe('License name.'),
              text: z.string().min(1).optional().describe('Full license text.'),
              url: z.url().optional().describe('Where the text is published.'),
            }),
          )
          .default({})
          .describe(
            'Licenses outside the SPDX list and the built-in table: `LicenseRef-…` → name and text or URL.',
          ),
        flags: z
          .array(z.enum(FLAGS))
          .default([])
          .describe('Restriction flags beyond those the built-in table knows for these licenses.'),
      })
      .describe('Licensing.'),
    mof: z
      .strictObject({
        components: z
          .partialRecord(z.enum(MOF_COMPONENT_NAMES), z.string().min(1))
          .describe(
            `Component → license expression, \`${NOT_INCLUDED}\` or \`${UNSPECIFIED}\` (license not specified).`,
          ),
      })
      .optional()
      .describe('Model Openness Framework: the license of each of the 17 components.'),
  })
  .superRefine((entry, ctx) => {
    const { declared, concluded, refs } = entry.license;
    if (declared === undefined && concluded === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['license'],
        message: 'no license: give license.declared or license.concluded',
      });
      return;
    }
    const used = new Map<string, string[]>();
    for (const key of ['declared', 'concluded'] as const) {
      const text = entry.license[key];
      if (text === undefined) continue;
      let node: SpdxNode;
      try {
        node = parseExpression(text);
      } catch {
        return; // reported by the field's own check
      }
      used.set(key, licenseIds(node));
      for (const id of licenseIds(node)) {
        if (isLicenseRef(id) && !knownLicense(id) && !refs[id]) {
          ctx.addIssue({
            code: 'custom',
            path: ['license', key],
            message: `${id} is not a built-in license: add license.refs["${id}"] with its name and text or url`,
          });
        }
      }
    }
    for (const [id, ref] of Object.entries(refs)) {
      if (!ref.text && !ref.url) {
        ctx.addIssue({
          code: 'custom',
          path: ['license', 'refs', id],
          message: 'give the license text or url',
        });
      }
    }
    const d = used.get('declared');
    const c = used.get('concluded');
    if (d && c && !c.some((id) => d.includes(id))) {
      ctx.addIssue({
        code: 'custom',
        path: ['license', 'concluded'],
        message:
          `"${concluded}" conflicts with the declared "${declared}": they name no license in common ` +
          '(a concluded license narrows the declared one; fix whichever is wrong)',
      });
    }
    for (const [component, value] of Object.entries(entry.mof?.components ?? {})) {
      if (value === NOT_INCLUDED || value === UNSPECIFIED || value === undefined) continue;
      try {
        parseExpression(value);
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          path: ['mof', 'components', component],
          message: (err as Error).message,
        });
      }
    }
    for (const [rel, names] of Object.entries(entry.relationships)) {
      if (names.includes(entry.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['relationships', rel],
          message: 'an entry cannot refer to itself',
        });
      }
    }
  })
  .describe('One AI artifact: a model, dataset, weights, code or document.');

export const LicensePolicySchema = z
  .strictObject({
    allow: z
      .array(licenseId)
      .optional()
      .describe('Licenses permitted (SPDX ids or LicenseRef-…). Unset: any license not denied.'),
    deny: z.array(licenseId).default([]).describe('Licenses refused outright.'),
    deny_flags: z.array(z.enum(FLAGS)).default([]).describe('Restriction flags that refuse an artifact.'),
    warn_flags: z.array(z.enum(FLAGS)).default([]).describe('Restriction flags that only warn.'),
    require_mof_class: z
      .enum(['I', 'II', 'III'])
      .optional()
      .describe('Models must reach at least this Model Openness Framework class (I is the most open).'),
    unknown_artifacts: z
      .enum(['refuse', 'warn'])
      .default('refuse')
      .describe('What to do when an upstream names an artifact the catalog does not have.'),
  })
  .describe('Which licenses the artifacts of upstreams (and agents) may carry. See docs/catalog.md.');

export type CatalogEntry = z.output<typeof CatalogEntrySchema>;
export type CatalogEntryInput = z.input<typeof CatalogEntrySchema>;
export type LicensePolicy = z.output<typeof LicensePolicySchema>;
