/**
 * The AI artifact catalog: models, datasets, weights, code and documents with their licenses;
 * license policy over the upstreams (and agents) that use them; AI bills of materials.
 */
export {
  FLAGS,
  FLAG_MEANING,
  KNOWN_LICENSES,
  knownLicense,
  type Flag,
  type KnownLicense,
} from './licenses.js';
export {
  SPDX_LIST_VERSION,
  LicenseExpressionError,
  alternatives,
  isListedId,
  licenseIds,
  parseExpression,
} from './spdx.js';
export {
  MOF_COMPONENTS,
  MOF_CLASS_LABEL,
  evaluateMof,
  meetsClass,
  type MofClass,
  type MofEvaluation,
} from './mof.js';
export {
  CatalogConflictError,
  CatalogEntryError,
  CatalogView,
  allFlags,
  resolveEntry,
  validateEntry,
  type ResolvedEntry,
} from './entry.js';
export {
  checkArtifact,
  describeFinding,
  evaluateConsumers,
  type ArtifactVerdict,
  type Consumer,
  type ConsumerVerdict,
  type Finding,
  type Verdict,
} from './policy.js';
export {
  ImportError,
  hashDirectory,
  importHuggingFaceCard,
  importModelPack,
  importMot,
  verifyFiles,
  type ImportFormat,
} from './import.js';
export { selectBom, type BomConsumer, type BomSource } from './bom-source.js';
export { buildCycloneDx, cdxLicenses, type CycloneDxOptions } from './bom-cyclonedx.js';
export { SPDX_CONTEXT, SPDX_REQUIRED, buildSpdx, spdxGaps } from './bom-spdx.js';
export {
  MODEL_LICENSE_EXTENSION_URI,
  modelLicenseExtension,
  type ModelLicenseExtension,
} from './card-extension.js';
export {
  BOM_CYCLONEDX_URI,
  BOM_SPDX_URI,
  CATALOG_URI,
  GATEWAY_RESOURCES,
  isGatewayResource,
  readGatewayResource,
} from './resources.js';
export { catalogReport, entrySummary } from './report.js';
export { Catalog, agentConsumer, upstreamConsumer, type Judgement } from './service.js';
