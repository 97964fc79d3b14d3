import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { relayable } from './relay.js';
import { EventReader, idsOf, messageIds } from './relay-wire.js';

const req = (method: string, version?: string) =>
  ({ method, headers: version ? { 'a2a-version': version } : {} }) as unknown as IncomingMessage;

describe('relay: what it takes', () => {
  it('takes A2A 1.0 messages on both bindings, and nothing else', () => {
    expect(relayable(req('POST', '1.0'), true, 'SendMessage', '')).toBe('SendMessage');
    expect(relayable(req('POST', '1.0'), true, 'SendStreamingMessage', '/')).toBe('SendStreamingMessage');
    expect(relayable(req('POST', '1.0'), false, 'SendMessage', '/rest/message:send')).toBe('SendMessage');
    expect(relayable(req('POST', '1.0'), false, 'SendStreamingMessage', '/rest/message:stream')).toBe(
      'SendStreamingMessage',
    );
    // v0.3 (no version header, or 0.3), other operations, a tenant in the path, other verbs.
    expect(relayable(req('POST'), true, 'SendMessage', '')).toBeUndefined();
    expect(relayable(req('POST', '0.3'), true, 'SendMessage', '')).toBeUndefined();
    expect(relayable(req('POST', '1.0'), true, 'GetTask', '')).toBeUndefined();
    expect(relayable(req('POST', '1.0'), false, 'SendMessage', '/rest/acme/message:send')).toBeUndefined();
    expect(relayable(req('GET', '1.0'), false, 'GetTask', '/rest/tasks/1')).toBeUndefined();
  });
});

describe('relay: the task an answer names', () => {
  it('reads it from a task, a message in a task, and status and artifact updates', () => {
    expect(idsOf({ task: { id: 't', contextId: 'c', status: {} } })).toEqual({ taskId: 't', contextId: 'c' });
    expect(idsOf({ message: { messageId: 'm', taskId: 't', contextId: 'c' } })).toEqual({
      taskId: 't',
      contextId: 'c',
    });
    expect(idsOf({ statusUpdate: { taskId: 't', contextId: 'c' } })).toEqual({ taskId: 't', contextId: 'c' });
    expect(idsOf({ artifactUpdate: { taskId: 't' } })).toEqual({ taskId: 't', contextId: '' });
  });

  it('reads the proto field names too, as the parsers of the SDKs do', () => {
    expect(idsOf({ task: { id: 't', context_id: 'c' } })).toEqual({ taskId: 't', contextId: 'c' });
    expect(idsOf({ message: { task_id: 't', context_id: 'c' } })).toEqual({ taskId: 't', contextId: 'c' });
    expect(idsOf({ status_update: { task_id: 't' } })).toEqual({ taskId: 't', contextId: '' });
    expect(idsOf({ artifact_update: { taskId: 't', context_id: 'c' } })).toEqual({
      taskId: 't',
      contextId: 'c',
    });
  });

  it('finds none in a message without a task, or in anything else', () => {
    expect(idsOf({ message: { messageId: 'm', contextId: 'c' } })).toBeUndefined();
    expect(idsOf({ message: { messageId: 'm', taskId: '' } })).toBeUndefined();
    expect(idsOf({ task: { id: 7 } })).toBeUndefined();
    for (const v of [null, undefined, 'task', 1, [], {}]) expect(idsOf(v)).toBeUndefined();
  });
});

describe('relay: the tasks a message continues', () => {
  it('names every task and context the message names, under either field name', () => {
    expect(messageIds({ taskId: 'a', task_id: 'b', contextId: 'c' })).toEqual({
      taskIds: ['a', 'b'],
      contextIds: ['c'],
    });
    expect(messageIds({ task_id: 'b', context_id: 'd' })).toEqual({ taskIds: ['b'], contextIds: ['d'] });
    expect(messageIds({ taskId: 7, task_id: '7' })).toEqual({ taskIds: ['7'], contextIds: [] });
    expect(messageIds({ taskId: '', contextId: null })).toEqual({ taskIds: [], contextIds: [] });
    expect(messageIds(undefined)).toEqual({ taskIds: [], contextIds: [] });
  });
});

describe('relay: SSE events', () => {
  const text = (bufs: Buffer[]) => bufs.map((b) => b.toString());

  it('splits whole events, however the chunks fall, with LF, CRLF or CR line ends', () => {
    const events = new EventReader();
    expect(text(events.add(Buffer.from('data: {"a"')))).toEqual([]);
    expect(text(events.add(Buffer.from(':1}\n\ndata: 2\r\n\r\ndata: 3\r')))).toEqual([
      'data: {"a":1}\n\n',
      'data: 2\r\n\r\n',
    ]);
    expect(text(events.add(Buffer.from('\rdata: 4')))).toEqual(['data: 3\r\r']);
    expect(events.pendingBytes).toBe(7);
    expect(events.rest().toString()).toBe('data: 4');
    expect(events.rest().length).toBe(0);
  });

  it('keeps every byte: what it splits joins back into the stream', () => {
    const stream = 'event: x\ndata: 1\n\n: comment\n\ndata: {"result":{}}\n\ndata: tail';
    const events = new EventReader();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i += 7) out.push(...events.add(Buffer.from(stream.slice(i, i + 7))));
    out.push(events.rest());
    expect(Buffer.concat(out).toString()).toBe(stream);
  });
});
