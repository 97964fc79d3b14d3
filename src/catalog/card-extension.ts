/**
 * The A2A agent card extension that summarises an agent's models: license, restriction flags,
 * Model Openness Framework class and the gateway's policy verdict. An A2A client reads it from
 * `capabilities.extensions[]` of the card (A2A AgentExtension: uri, description, required, params).
 *
 * Attached to the cards of the declared agents the gateway runs (a2a/front-agents.ts).
 */
import { allFlags, type CatalogView } from './entry.js';
import { isModelKind } from './bom-source.js';
import type { ConsumerVerdict } from './policy.js';

export const MODEL_LICENSE_EXTENSION_URI = 'urn:switchyard:a2a:extension:model-license:v1';

export interface ModelLicenseExtension {
  uri: typeof MODEL_LICENSE_EXTENSION_URI;
  description: string;
  required: false;
  params: {
    models: {
      name: string;
      version?: string;
      revision?: string;
      license: string;
      flags: string[];
      mofClass: string | null;
    }[];
    verdict: ConsumerVerdict['verdict'];
  };
}

/** The extension for one agent: its model artifacts (and their base models) as the catalog knows them. */
export function modelLicenseExtension(view: CatalogView, verdict: ConsumerVerdict): ModelLicenseExtension {
  const models = verdict.artifacts
    .map((a) => view.get(a.artifact))
    .filter((r) => r !== undefined && isModelKind(r.entry))
    .map((r) => ({
      name: r!.entry.name,
      ...(r!.entry.version ? { version: r!.entry.version } : {}),
      ...(r!.entry.revision ? { revision: r!.entry.revision } : {}),
      license: r!.license.expression,
      flags: allFlags(r!),
      mofClass: r!.mof?.class ?? null,
    }));
  return {
    uri: MODEL_LICENSE_EXTENSION_URI,
    description:
      'License, restriction flags and Model Openness Framework class of the models this agent runs.',
    required: false,
    params: { models, verdict: verdict.verdict },
  };
}
