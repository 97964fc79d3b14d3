import { describe, expect, it } from 'vitest';
import { paramsProblem, restBodyProblem } from './params.js';

const message = { messageId: 'm', role: 'ROLE_USER', parts: [{ text: 'hi' }] };

describe('A2A params', () => {
  it('accepts well-formed requests of both versions, and fields the protocol may add later', () => {
    expect(paramsProblem('SendMessage', { message, future: { x: 1 } })).toBeUndefined();
    expect(paramsProblem('GetTask', { id: 't1', historyLength: 3 })).toBeUndefined();
    expect(
      paramsProblem('message/send', {
        message: { kind: 'message', messageId: 'm', role: 'user', parts: [{ kind: 'text', text: 'hi' }] },
      }),
    ).toBeUndefined();
    expect(restBodyProblem('POST', '/rest/message:send', { message })).toBeUndefined();
    expect(
      restBodyProblem('POST', '/rest/v1/message:send', { request: { content: [{ text: 'x' }] } }),
    ).toBeUndefined();
  });

  it('names the first wrong field by its path', () => {
    expect(paramsProblem('GetTask', { id: { __proto__: { polluted: 1 } } })).toMatch(/^params\.id: /);
    expect(paramsProblem('tasks/get', { id: true })).toMatch(/^params\.id: /);
    expect(paramsProblem('SendMessage', { message: { ...message, parts: [{ raw: 7 }] } })).toMatch(
      /^params\.message\.parts\[0\]\.raw: /,
    );
    expect(
      paramsProblem('message/send', {
        message: { messageId: 'm', role: 'user', parts: [{ kind: 'file', file: { name: 'x' } }] },
      }),
    ).toMatch(/^params\.message\.parts\[0\]\.file: a file needs bytes or uri/);
    expect(restBodyProblem('POST', '/rest/message:send', { message: { ...message, role: {} } })).toMatch(
      /^body\.message\.role: /,
    );
  });

  it('leaves methods it does not know, including Object.prototype names, to the SDK', () => {
    for (const m of ['NoSuchMethod', 'constructor', '__proto__', 'toString', 42])
      expect(paramsProblem(m, { id: 1 })).toBeUndefined();
  });
});
