/**
 * The gateway's own MCP resources: the catalog with policy verdicts, and the AI bills of materials.
 * Listed alongside the upstreams' resources; reads of these URIs are answered by the gateway.
 */
import { buildCycloneDx } from './bom-cyclonedx.js';
import { buildSpdx } from './bom-spdx.js';
import type { BomSource } from './bom-source.js';
import { catalogReport } from './report.js';

export const CATALOG_URI = 'switchyard://catalog';
export const BOM_CYCLONEDX_URI = 'switchyard://bom/cyclonedx';
export const BOM_SPDX_URI = 'switchyard://bom/spdx';

export const GATEWAY_RESOURCES = [
  {
    uri: CATALOG_URI,
    name: 'catalog',
    title: 'AI artifact catalog',
    description:
      'Models, datasets and other AI artifacts in use, their licenses and the license-policy verdicts.',
    mimeType: 'application/json',
  },
  {
    uri: BOM_CYCLONEDX_URI,
    name: 'bom-cyclonedx',
    title: 'AI bill of materials (CycloneDX 1.6)',
    description: 'The gateway, its upstreams and their models and datasets as CycloneDX 1.6 JSON.',
    mimeType: 'application/vnd.cyclonedx+json',
  },
  {
    uri: BOM_SPDX_URI,
    name: 'bom-spdx',
    title: 'AI bill of materials (SPDX 3.0.1)',
    description:
      'The gateway, its upstreams and their models and datasets as SPDX 3.0.1 JSON-LD (AI and Dataset profiles).',
    mimeType: 'application/spdx+json',
  },
] as const;

/** The gateway's own resources all use the `switchyard:` scheme (these and the A2A agent list). */
export function isGatewayResource(uri: string): boolean {
  return uri.startsWith('switchyard://');
}

/** The text of one gateway resource (MCP resources/read `contents[0]`). */
export async function readGatewayResource(
  uri: string,
  source: BomSource,
): Promise<{ uri: string; mimeType: string; text: string }> {
  const meta = GATEWAY_RESOURCES.find((r) => r.uri === uri);
  if (!meta) throw new Error(`not a gateway resource: ${uri}`);
  const body =
    uri === CATALOG_URI
      ? catalogReport(source)
      : uri === BOM_CYCLONEDX_URI
        ? await buildCycloneDx(source)
        : await buildSpdx(source);
  return { uri, mimeType: meta.mimeType, text: JSON.stringify(body, null, 2) };
}
