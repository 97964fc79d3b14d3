/**
 * The federated route table: what all ready upstreams offer, merged into one view, with the
 * route from each merged name (or URI) back to the upstream that serves it.
 *
 * Built from the upstreams' cached lists whenever one of them changes; immutable once built, so a
 * request routes against one consistent snapshot. Tool and prompt names are rewritten (names.ts);
 * resource URIs are never rewritten — they are identifiers the upstream must get back unchanged —
 * so a URI two upstreams both list is routed to the first and the duplicate is reported.
 */
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import type { JsonObject } from '../jsonrpc.js';
import type { Backend } from '../upstream/backend.js';
import { assignNames, sanitize, type Collision } from './names.js';

export interface Route {
  upstream: Backend;
  /** The name (or URI) as the upstream knows it. */
  name: string;
}

export interface RouteTable {
  readonly tools: readonly JsonObject[];
  readonly prompts: readonly JsonObject[];
  readonly resources: readonly JsonObject[];
  readonly resourceTemplates: readonly JsonObject[];
  readonly collisions: readonly Collision[];
  tool(name: string): Route | undefined;
  /** A ready upstream by name. */
  upstream(name: string): Backend | undefined;
  prompt(name: string): Route | undefined;
  /** Which upstream serves a resource URI: listed URIs first, then templates. */
  resource(uri: string): Backend | undefined;
  /** The upstream that offered this tool or prompt name when it was last up (it is down now). */
  unavailable(name: string): Backend | undefined;
  /** Which upstream owns a resource template (for completion/complete). */
  template(uriTemplate: string): Backend | undefined;
  /** A fingerprint per list, to tell whether a rebuild changed what clients see. */
  readonly fingerprints: Readonly<Record<'tools' | 'prompts' | 'resources', string>>;
}

export function buildRouteTable(upstreams: readonly Backend[], separator: string): RouteTable {
  const ready = upstreams.filter((u) => u.state === 'ready');
  const toolNames = assignNames(
    'tool',
    ready.map((u) => ({
      upstream: u.name,
      prefix: u.spec.prefix,
      names: u.lists.tools.map((t) => String(t.name)),
    })),
    separator,
  );
  const promptNames = assignNames(
    'prompt',
    ready.map((u) => ({
      upstream: u.name,
      prefix: u.spec.prefix,
      names: u.lists.prompts.map((p) => String(p.name)),
    })),
    separator,
  );

  const tools: JsonObject[] = [];
  const toolRoutes = new Map<string, Route>();
  const prompts: JsonObject[] = [];
  const promptRoutes = new Map<string, Route>();
  const resources: JsonObject[] = [];
  const resourceRoutes = new Map<string, Backend>();
  const templates: JsonObject[] = [];
  const templateRoutes: { template: UriTemplate; raw: string; upstream: Backend }[] = [];
  const collisions: Collision[] = [...toolNames.collisions, ...promptNames.collisions];

  for (const u of ready) {
    const tn = toolNames.names.get(u.name)!;
    for (const t of u.lists.tools) {
      const down = tn.get(String(t.name))!;
      if (toolRoutes.has(down)) continue;
      toolRoutes.set(down, { upstream: u, name: String(t.name) });
      tools.push(down === t.name ? t : { ...t, name: down });
    }
    const pn = promptNames.names.get(u.name)!;
    for (const p of u.lists.prompts) {
      const down = pn.get(String(p.name))!;
      if (promptRoutes.has(down)) continue;
      promptRoutes.set(down, { upstream: u, name: String(p.name) });
      prompts.push(down === p.name ? p : { ...p, name: down });
    }
    for (const r of u.lists.resources) {
      const uri = String(r.uri);
      const owner = resourceRoutes.get(uri);
      if (owner) {
        if (owner !== u)
          collisions.push({ kind: 'resource', name: uri, kept: owner.name, renamed: u.name, as: '' });
        continue;
      }
      resourceRoutes.set(uri, u);
      resources.push(r);
    }
    for (const t of u.lists.resourceTemplates) {
      const raw = String(t.uriTemplate);
      try {
        templateRoutes.push({ template: new UriTemplate(raw), raw, upstream: u });
      } catch {
        continue; // an unparsable template cannot be routed; it is still listed
      }
      templates.push(t);
    }
  }

  // Names that upstreams which are down offered when last connected, so that calling one of them
  // says which upstream is down (and why) instead of "unknown tool".
  const down = new Map<string, Backend>();
  for (const u of upstreams) {
    if (u.state === 'ready') continue;
    for (const item of [...u.lastKnownLists.tools, ...u.lastKnownLists.prompts]) {
      const name = String(item.name);
      for (const n of [
        sanitize(`${u.name}${separator}${name}`),
        ...(u.spec.prefix === 'always' ? [] : [sanitize(name)]),
      ]) {
        if (!toolRoutes.has(n) && !promptRoutes.has(n) && !down.has(n)) down.set(n, u);
      }
    }
  }

  return {
    unavailable: (name) => down.get(name),
    tools,
    prompts,
    resources,
    resourceTemplates: templates,
    collisions,
    tool: (name) => toolRoutes.get(name),
    upstream: (name) => ready.find((u) => u.name === name),
    prompt: (name) => promptRoutes.get(name),
    resource(uri) {
      const direct = resourceRoutes.get(uri);
      if (direct) return direct;
      for (const t of templateRoutes) if (t.template.match(uri)) return t.upstream;
      // One upstream with resources is unambiguous even for URIs it did not list.
      const withResources = ready.filter((r) => r.info?.capabilities.resources);
      return withResources.length === 1 ? withResources[0] : undefined;
    },
    template: (raw) => templateRoutes.find((t) => t.raw === raw)?.upstream,
    fingerprints: {
      tools: JSON.stringify(tools),
      prompts: JSON.stringify(prompts),
      resources: JSON.stringify([resources, templates]),
    },
  };
}

/** Encode/decode the gateway's own list cursors: opaque to clients, an offset into the merged list. */
export function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
}

export function decodeCursor(cursor: unknown): number | undefined {
  if (typeof cursor !== 'string') return undefined;
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown };
    return typeof v.o === 'number' && Number.isInteger(v.o) && v.o >= 0 ? v.o : undefined;
  } catch {
    return undefined;
  }
}
