import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { sendJson } from './respond.js';

/** A response that keeps what was written to it. */
function recorder() {
  const out: { status?: number; headers?: Record<string, string>; body?: string } = {};
  const res = {
    writeHead(status: number, headers: Record<string, string>) {
      out.status = status;
      out.headers = headers;
      return res;
    },
    end(body: string) {
      out.body = body;
      return res;
    },
  };
  return { res: res as unknown as ServerResponse, out };
}

describe('sendJson', () => {
  it('writes the status, the JSON content type and the serialized body', () => {
    const { res, out } = recorder();
    sendJson(res, 201, { added: ['a'] });
    expect(out).toEqual({
      status: 201,
      headers: { 'content-type': 'application/json' },
      body: '{"added":["a"]}',
    });
  });

  it('adds the headers an answer carries, after the content type', () => {
    const { res, out } = recorder();
    sendJson(res, 401, {}, { 'www-authenticate': 'Bearer' });
    expect(Object.entries(out.headers!)).toEqual([
      ['content-type', 'application/json'],
      ['www-authenticate', 'Bearer'],
    ]);
    expect(out.body).toBe('{}');
  });

  it('lets an answer name a JSON media type of its own', () => {
    const { res, out } = recorder();
    sendJson(res, 200, [], { 'content-type': 'application/spdx+json' });
    expect(out.headers).toEqual({ 'content-type': 'application/spdx+json' });
  });
});
