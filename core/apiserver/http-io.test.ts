import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { readBody, writeError, writeJson } from './http-io.ts';

let server: Server | undefined;

afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

function post(port: number, agent: Agent, body: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/', agent, headers: { 'Content-Length': body.length } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('readBody', () => {
  it('answers an oversized body with 413 and keeps the keep-alive connection for the next request', async () => {
    server = createServer((req, res) => {
      readBody(req).then(
        (bytes) => writeJson(res, 200, { size: bytes.length }),
        (error) => writeError(res, error),
      );
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const tooBig = await post(port, agent, Buffer.alloc(5 * 2 ** 20, 'x'));
      expect(tooBig.status).toBe(413);
      expect(JSON.parse(tooBig.body).message).toMatch(/larger than 3145728 bytes/);
      const next = await post(port, agent, Buffer.from('{}'));
      expect(next).toEqual({ status: 200, body: '{"size":2}' });
    } finally {
      agent.destroy();
    }
  });
});
