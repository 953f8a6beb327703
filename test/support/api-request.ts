import { readFileSync } from 'node:fs';
import { request, type Agent } from 'node:http';
import { join } from 'node:path';

// Raw HTTP to the API server, for tests that need exact control over headers
// (fetch refuses to set Host) or want the status code of every request.

export interface RawResponse {
  status: number;
  body: string;
  json: () => any;
}

export function tokenOf(dataDir: string): string {
  return readFileSync(join(dataDir, 'token'), 'utf8').trim();
}

export interface ApiRequestOptions {
  token?: string;
  /** A string or bytes go as they are; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Connections to reuse, as a long-lived client (kubectl, an informer) does. */
  agent?: Agent;
}

export function apiRequest(baseUrl: string, method: string, path: string, options: ApiRequestOptions = {}): Promise<RawResponse> {
  const url = new URL(path, baseUrl);
  const payload = options.body === undefined ? undefined : typeof options.body === 'string' || Buffer.isBuffer(options.body) ? options.body : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: options.agent,
        headers: {
          ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) } : {}),
          ...options.headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body) }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
