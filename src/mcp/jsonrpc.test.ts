import { describe, expect, it } from 'vitest';
import { classify, withProgressToken } from './jsonrpc.js';

describe('classify', () => {
  it.each([
    [{ jsonrpc: '2.0', id: 1, method: 'ping' }, 'request'],
    [{ jsonrpc: '2.0', id: 'a', method: 'tools/call', params: {} }, 'request'],
    [{ jsonrpc: '2.0', method: 'notifications/initialized' }, 'notification'],
    [{ jsonrpc: '2.0', id: 1, result: {} }, 'response'],
    [{ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'x' } }, 'response'],
  ])('%j is a %s', (msg, kind) => {
    expect(classify(msg).kind).toBe(kind);
  });

  it.each([
    [[], 'must be an object'],
    [{ id: 1, method: 'ping' }, 'jsonrpc must be "2.0"'],
    [{ jsonrpc: '2.0', id: null, method: 'ping' }, 'id must be a string or a number'],
    [{ jsonrpc: '2.0', id: 1, method: 'x', params: [1] }, 'params must be an object'],
    [{ jsonrpc: '2.0', id: 1, result: 3 }, 'result must be an object'],
    [{ jsonrpc: '2.0', id: 1, error: { code: 'x' } }, 'error must be'],
    [{ jsonrpc: '2.0', id: 1 }, 'not a request'],
  ])('%j is invalid: %s', (msg, reason) => {
    const c = classify(msg);
    expect(c.kind).toBe('invalid');
    expect((c as { reason: string }).reason).toContain(reason);
  });
});

describe('withProgressToken', () => {
  it('replaces or removes the token, keeping the rest of _meta and params', () => {
    expect(withProgressToken({ a: 1, _meta: { progressToken: 1, k: 2 } }, 'g')).toEqual({
      a: 1,
      _meta: { progressToken: 'g', k: 2 },
    });
    expect(withProgressToken({ a: 1, _meta: { progressToken: 1 } }, undefined)).toEqual({ a: 1 });
  });
});
