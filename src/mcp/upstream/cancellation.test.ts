import { describe, expect, it } from 'vitest';
import { Cancellation } from './forwarder.js';

describe('Cancellation', () => {
  it('tells every listener once, in the order they were added', () => {
    const c = new Cancellation();
    const heard: string[] = [];
    c.onCancel((r) => heard.push(`a:${String(r)}`));
    c.onCancel((r) => heard.push(`b:${String(r)}`));
    c.onCancel((r) => heard.push(`c:${String(r)}`));
    c.cancel('stop');
    c.cancel('again');
    expect(heard).toEqual(['a:stop', 'b:stop', 'c:stop']);
    expect(c.reason).toBe('stop');
  });

  it('a second listener does not replace the first (the forwarder’s and a bridge’s both hear it)', () => {
    const c = new Cancellation();
    let forwarder = 0;
    let bridge = 0;
    c.onCancel(() => forwarder++);
    c.onCancel(() => bridge++);
    c.cancel();
    expect({ forwarder, bridge }).toEqual({ forwarder: 1, bridge: 1 });
  });

  it('a removed listener is not told; removing one leaves the others', () => {
    const c = new Cancellation();
    const heard: string[] = [];
    const offA = c.onCancel(() => heard.push('a'));
    const offB = c.onCancel(() => heard.push('b'));
    c.onCancel(() => heard.push('c'));
    offA();
    offB();
    offB(); // twice is harmless
    c.onCancel(() => heard.push('d')); // takes the free first place
    c.cancel();
    expect(heard).toEqual(['d', 'c']);
  });

  it('a listener added after the cancel is told at once', () => {
    const c = new Cancellation();
    c.cancel('late');
    let heard: unknown;
    const off = c.onCancel((r) => (heard = r));
    expect(heard).toBe('late');
    off();
  });
});
