/**
 * The four lists an MCP server may offer (tools, prompts, resources, resource templates): which
 * method reads each and which capability declares it, the notifications that say one changed, and
 * reading every page of one, leniently.
 */
import {
  PromptSchema,
  ResourceSchema,
  ResourceTemplateSchema,
  ToolSchema,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { Logger } from '../../telemetry/logger.js';
import type { JsonObject } from '../jsonrpc.js';
import type { ListKind } from './backend.js';
import type { Forwarder } from './forwarder.js';

export const LISTS: Record<
  ListKind,
  {
    method: string;
    key: string;
    capability: keyof ServerCapabilities;
    schema: z.ZodType;
    /** The field that names an entry: two entries with the same one are the same entry. */
    id: string;
  }
> = {
  tools: { method: 'tools/list', key: 'tools', capability: 'tools', schema: ToolSchema, id: 'name' },
  prompts: {
    method: 'prompts/list',
    key: 'prompts',
    capability: 'prompts',
    schema: PromptSchema,
    id: 'name',
  },
  resources: {
    method: 'resources/list',
    key: 'resources',
    capability: 'resources',
    schema: ResourceSchema,
    id: 'uri',
  },
  resourceTemplates: {
    method: 'resources/templates/list',
    key: 'resourceTemplates',
    capability: 'resources',
    schema: ResourceTemplateSchema,
    id: 'uriTemplate',
  },
};

export const ALL_LISTS = Object.keys(LISTS) as ListKind[];

/** The lists each list_changed notification says to read again. */
export const LIST_CHANGED: Record<string, ListKind[]> = {
  'notifications/tools/list_changed': ['tools'],
  'notifications/prompts/list_changed': ['prompts'],
  'notifications/resources/list_changed': ['resources', 'resourceTemplates'],
};

/** A cursor loop that does not end is a bug upstream; stop following it. */
const MAX_PAGES = 100;

/**
 * Every page of one list. Entries that do not validate are skipped, a repeated entry is kept once,
 * a repeated cursor ends the list; what had to be worked around is added to `notes`.
 */
export async function fetchAll(
  forwarder: Forwarder,
  kind: ListKind,
  opts: { timeoutMs: number; log: Logger },
  notes: string[],
): Promise<JsonObject[]> {
  const { method, key, schema } = LISTS[kind];
  const out: JsonObject[] = [];
  const ids = new Set<string>();
  const seen = new Set<string>();
  let invalid = 0;
  let repeated = 0;
  let cursor: string | undefined;
  for (let page = 0; ; page++) {
    if (page === MAX_PAGES) {
      notes.push(`${method} still had more after ${MAX_PAGES} pages: the rest is not listed`);
      break;
    }
    const outcome = await forwarder.call(method, cursor ? { cursor } : undefined, {
      timeoutMs: opts.timeoutMs,
    });
    if ('error' in outcome) {
      const { message, code } = outcome.error;
      // The SDK's servers put "MCP error <code>: " in front of their messages.
      throw new Error(`${message.replace(/^MCP error -?\d+: /, '')}, code ${code}`);
    }
    const items = outcome.result[key];
    for (const item of Array.isArray(items) ? items : []) {
      // Validate each entry at the edge; one malformed tool must not hide the others.
      const ok = schema.safeParse(item);
      if (!ok.success) {
        invalid++;
        opts.log.warn(
          { kind, item: summarize(item), issue: ok.error.issues[0]?.message },
          'skipping invalid entry',
        );
        continue;
      }
      const id = String((item as JsonObject)[LISTS[kind].id]);
      if (ids.has(id)) {
        repeated++;
        continue;
      }
      ids.add(id);
      out.push(item as JsonObject);
    }
    const next = outcome.result.nextCursor;
    if (typeof next !== 'string' || next === '') break;
    if (seen.has(next)) {
      notes.push(`${method} returned a cursor it had returned before: stopped there`);
      break;
    }
    seen.add(next);
    cursor = next;
  }
  if (invalid) notes.push(`${method} had ${invalid} invalid ${plural(invalid, 'entry', 'entries')}: skipped`);
  if (repeated)
    notes.push(`${method} listed ${repeated} ${plural(repeated, 'entry', 'entries')} twice: kept the first`);
  return out;
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

function summarize(item: unknown): unknown {
  if (item && typeof item === 'object') {
    const o = item as JsonObject;
    return { name: o.name, uri: o.uri, uriTemplate: o.uriTemplate };
  }
  return item;
}
