/**
 * The one converter between A2A parts and MCP content.
 *
 * The A2A SDK's in-process model is protobuf-shaped: a Part carries `content: { $case, value }`
 * (`text`, `raw` bytes, `url`, `data`) plus `mediaType` and `filename`. MCP content is a list of
 * typed blocks (`text`, `image`, `audio`, `resource`, `resource_link`) and, separately,
 * `structuredContent`. Everything that crosses the bridge goes through these functions.
 */
import { randomUUID } from 'node:crypto';
import { Role, type Message, type Part } from '@a2a-js/sdk';
import type { JsonObject } from '../mcp/jsonrpc.js';

export interface McpContent {
  content: JsonObject[];
  /** Data parts, merged (objects) — MCP allows one structured value per result. */
  structured?: JsonObject;
}

const TEXT_TYPES = /^(text\/|application\/(json|xml|yaml|x-yaml|javascript)\b)/;

export function textPart(text: string, mediaType = 'text/plain'): Part {
  return { content: { $case: 'text', value: text }, mediaType, filename: '', metadata: undefined };
}

export function dataPart(value: unknown): Part {
  return {
    content: { $case: 'data', value },
    mediaType: 'application/json',
    filename: '',
    metadata: undefined,
  };
}

/** A new A2A message from the user (the bridge calling an agent) or from the agent (the bridge answering). */
export function a2aMessage(
  role: 'user' | 'agent',
  parts: Part[],
  ids: { contextId?: string; taskId?: string },
  metadata?: JsonObject,
): Message {
  return {
    messageId: randomUUID(),
    role: role === 'user' ? Role.ROLE_USER : Role.ROLE_AGENT,
    parts,
    contextId: ids.contextId ?? '',
    taskId: ids.taskId ?? '',
    metadata,
    extensions: [],
    referenceTaskIds: [],
  };
}

/** A2A parts → MCP content blocks (+ structured content from data parts). */
export function partsToMcp(parts: readonly Part[], origin = 'a2a'): McpContent {
  const content: JsonObject[] = [];
  const data: unknown[] = [];
  for (const part of parts) {
    const c = part.content;
    if (!c) continue;
    switch (c.$case) {
      case 'text':
        content.push({ type: 'text', text: c.value });
        break;
      case 'data':
        data.push(c.value);
        // MCP §Tools: a structured result should also be given as serialized JSON text.
        content.push({ type: 'text', text: JSON.stringify(c.value) });
        break;
      case 'raw':
        content.push(bytesToMcp(Buffer.from(c.value), part.mediaType, part.filename, origin));
        break;
      case 'url':
        content.push({
          type: 'resource_link',
          uri: c.value,
          name: part.filename || lastSegment(c.value),
          ...(part.mediaType ? { mimeType: part.mediaType } : {}),
        });
        break;
    }
  }
  if (data.length === 0) return { content };
  // MCP has one structured value per result: a single object as is, anything else as `{ data: [...] }`.
  const structured = data.length === 1 && isPlainObject(data[0]) ? data[0] : { data };
  return { content, structured };
}

function bytesToMcp(bytes: Buffer, mediaType: string, filename: string, origin: string): JsonObject {
  const mimeType = mediaType || 'application/octet-stream';
  if (mimeType.startsWith('image/')) return { type: 'image', data: bytes.toString('base64'), mimeType };
  if (mimeType.startsWith('audio/')) return { type: 'audio', data: bytes.toString('base64'), mimeType };
  const uri = `${origin}:///${encodeURIComponent(filename || 'file')}`;
  return TEXT_TYPES.test(mimeType)
    ? { type: 'resource', resource: { uri, mimeType, text: bytes.toString('utf8') } }
    : { type: 'resource', resource: { uri, mimeType, blob: bytes.toString('base64') } };
}

/** MCP content blocks (+ structured content) → A2A parts. */
export function mcpToParts(content: readonly unknown[], structured?: unknown): Part[] {
  const parts: Part[] = [];
  for (const block of content) {
    if (!isPlainObject(block)) continue;
    switch (block.type) {
      case 'text':
        if (typeof block.text === 'string') parts.push(textPart(block.text));
        break;
      case 'image':
      case 'audio':
        if (typeof block.data === 'string')
          parts.push(rawPart(block.data, str(block.mimeType) ?? 'application/octet-stream', ''));
        break;
      case 'resource': {
        const r = block.resource;
        if (!isPlainObject(r)) break;
        const filename = lastSegment(str(r.uri) ?? '');
        if (typeof r.text === 'string') {
          parts.push({ ...textPart(r.text, str(r.mimeType) ?? 'text/plain'), filename });
        } else if (typeof r.blob === 'string') {
          parts.push(rawPart(r.blob, str(r.mimeType) ?? 'application/octet-stream', filename));
        }
        break;
      }
      case 'resource_link':
        if (typeof block.uri === 'string')
          parts.push({
            content: { $case: 'url', value: block.uri },
            mediaType: str(block.mimeType) ?? '',
            filename: str(block.name) ?? '',
            metadata: undefined,
          });
        break;
    }
  }
  if (structured !== undefined) parts.push(dataPart(structured));
  return parts;
}

/** The text of a message's parts, for places that can only show text. */
export function partsText(parts: readonly Part[] | undefined): string {
  return (parts ?? [])
    .map((p) =>
      p.content?.$case === 'text'
        ? p.content.value
        : p.content?.$case === 'data'
          ? JSON.stringify(p.content.value)
          : '',
    )
    .filter(Boolean)
    .join('\n');
}

function rawPart(base64: string, mediaType: string, filename: string): Part {
  return {
    content: { $case: 'raw', value: Buffer.from(base64, 'base64') },
    mediaType,
    filename,
    metadata: undefined,
  };
}

function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function lastSegment(uri: string): string {
  const clean = uri.split(/[?#]/)[0] ?? uri;
  const seg = clean.split('/').filter(Boolean).pop();
  return seg ? decodeURIComponent(seg) : uri;
}
