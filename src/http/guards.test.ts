import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ServerSchema } from '../config/schema.js';
import { checkHostAndOrigin } from './guards.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
const server = (over: object = {}) => ServerSchema.parse(over);

describe('Host and Origin checks', () => {
  it('accepts loopback hosts and origins by default', () => {
    for (const host of ['localhost:4180', '127.0.0.1:4180', '[::1]:4180', '127.0.0.1']) {
      expect(() => checkHostAndOrigin(req({ host }), server())).not.toThrow();
    }
    expect(() =>
      checkHostAndOrigin(req({ host: 'localhost', origin: 'http://localhost:5173' }), server()),
    ).not.toThrow();
  });

  it('rejects DNS-rebinding hosts and foreign origins with 403', () => {
    for (const host of ['evil.example', 'localhost.evil.example:4180', '']) {
      expect(() => checkHostAndOrigin(req({ host }), server())).toThrow(
        expect.objectContaining({ status: 403 }),
      );
    }
    expect(() =>
      checkHostAndOrigin(req({ host: 'localhost', origin: 'https://evil.example' }), server()),
    ).toThrow(expect.objectContaining({ code: 'SWY_ORIGIN_FORBIDDEN' }));
    expect(() => checkHostAndOrigin(req({ host: 'localhost', origin: 'null' }), server())).toThrow();
  });

  it('uses the configured lists when given, and any Host when bound beyond loopback', () => {
    const s = server({ host: '0.0.0.0', allowedOrigins: ['https://app.example'] });
    expect(() =>
      checkHostAndOrigin(req({ host: 'gw.example', origin: 'https://app.example' }), s),
    ).not.toThrow();
    expect(() => checkHostAndOrigin(req({ host: 'gw.example', origin: 'http://localhost' }), s)).toThrow();
    const h = server({ allowedHosts: ['gw.internal'] });
    expect(() => checkHostAndOrigin(req({ host: 'gw.internal:443' }), h)).not.toThrow();
    expect(() => checkHostAndOrigin(req({ host: 'localhost' }), h)).toThrow();
  });
});
