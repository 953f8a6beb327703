import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, internalError, unsupportedMediaType } from '../api/errors.ts';
import { decodeKubernetesProtobuf } from './protobuf/decode-object.ts';
import { parseKubernetesYaml } from '../api/kubernetes-yaml.ts';
import { jsonTooDeep, tooDeepMessage } from '../api/nesting-depth.ts';

// Reading request bodies and writing JSON answers, the same way for every handler.

/** Kubernetes refuses request bodies over 3 MiB; so do we. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      // Refuse at once, but read the rest and drop it rather than destroy the request:
      // the client is still sending, and closing on it would lose the 413 and the
      // keep-alive connection its next request goes on.
      req.off('data', onData).off('end', onEnd);
      req.resume();
      reject(new ApiError(413, 'RequestEntityTooLarge', `the request body is larger than ${MAX_BODY_BYTES} bytes; split the manifest into smaller objects`));
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData).on('end', onEnd).on('error', reject);
  });
}

export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
}

/** A JSON or YAML object body (create, update). */
export async function readObjectBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = mediaType(req);
  const bytes = await readBody(req);
  // Go clients (kubectl's typed commands, helm, controllers) send built-in kinds as protobuf.
  if (type === 'application/vnd.kubernetes.protobuf') return decodeKubernetesProtobuf(bytes);
  const raw = bytes.toString('utf8');
  let value: unknown;
  if (type === 'application/json' || type === '*/*' || type === '') {
    value = parseJson(raw);
  } else if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') {
    try {
      value = parseKubernetesYaml(raw);
    } catch (e) {
      throw badRequest(`the request body is not valid YAML: ${(e as Error).message}`);
    }
  } else {
    throw unsupportedMediaType(type);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('the request body must be a JSON or YAML object with apiVersion, kind and metadata');
  }
  return value as Record<string, unknown>;
}

export function parseJson(raw: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (e) {
    throw badRequest(`the request body is not valid JSON: ${(e as Error).message}`);
  }
  if (jsonTooDeep(raw)) throw badRequest(tooDeepMessage('the request body'));
  return value;
}

export function writeJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}

export function writeError(res: ServerResponse, error: unknown): void {
  const apiError = error instanceof ApiError ? error : internalError((error as Error)?.message ?? String(error));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  writeJson(res, apiError.code, apiError.toStatus());
}

export function writeText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
