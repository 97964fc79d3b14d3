import { describe, expect, it } from 'vitest';
import { requestedSkills, restOperation, rpcOperation, splitPath } from './front-request.js';

describe('splitPath', () => {
  it('names the agent, the rest of the path and the binding', () => {
    expect(splitPath('/a2a/echo')).toEqual({ name: 'echo', sub: '', jsonRpc: true });
    expect(splitPath('/a2a/echo/')).toEqual({ name: 'echo', sub: '/', jsonRpc: true });
    expect(splitPath('/a2a/echo/rest/tasks')).toEqual({ name: 'echo', sub: '/rest/tasks', jsonRpc: false });
    expect(splitPath('/a2a')).toEqual({ name: '', sub: '', jsonRpc: false });
  });

  it('decodes the name, and keeps one that does not decode', () => {
    expect(splitPath('/a2a/my%20agent').name).toBe('my agent');
    expect(splitPath('/a2a/bad%E0').name).toBe('bad%E0');
  });
});

describe('operation labels', () => {
  it('names REST routes of both versions, and nothing unbounded', () => {
    expect(restOperation('POST', '/rest/message:send')).toBe('SendMessage');
    expect(restOperation('POST', '/rest/v1/message:stream')).toBe('SendStreamingMessage');
    expect(restOperation('GET', '/rest/tasks/t-1')).toBe('GetTask');
    expect(restOperation('POST', '/rest/tasks/t-1:cancel')).toBe('CancelTask');
    expect(restOperation('PUT', '/rest/tasks/t-1/pushNotificationConfigs')).toBe('other');
    expect(restOperation('GET', '/.well-known/agent-card.json')).toBe('GetAgentCard');
    expect(restOperation('POST', '')).toBe('jsonrpc');
    expect(restOperation('GET', '/rest/anything/else')).toBe('other');
  });

  it('keeps JSON-RPC methods it knows, and calls the rest "other"', () => {
    expect(rpcOperation('SendMessage')).toBe('SendMessage');
    expect(rpcOperation('x'.repeat(200))).toBe('other');
    expect(rpcOperation(42)).toBe('other');
  });
});

describe('requestedSkills', () => {
  const message = (metadata: object) => ({ message: { parts: [], metadata } });

  it('reads `skill` and `skillId` from the message and the request, on both bindings', () => {
    expect(requestedSkills('SendMessage', message({ skill: 'a' }), false)).toEqual(['a']);
    expect(
      requestedSkills(
        'message/send',
        { jsonrpc: '2.0', id: 1, params: { ...message({ skillId: 'a' }), metadata: { skill: 'b' } } },
        true,
      ),
    ).toEqual(['a', 'b']);
  });

  it('finds none in operations that send no message', () => {
    expect(requestedSkills('GetTask', message({ skill: 'a' }), false)).toEqual([]);
  });
});
