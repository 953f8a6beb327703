import type { RestClient } from '../../../../core/client/rest-client.ts';

// A container's log, as `kubectl logs [-f] [--previous] --tail=500 POD -c C` reads it:
// GET pods/NAME/log. Following keeps the response open and the body arrives in chunks,
// which are handed over as they come; aborting the signal ends the request.

export const LOG_TAIL_LINES = 500;

export interface LogRequest {
  namespace: string;
  pod: string;
  container: string;
  previous?: boolean;
  follow?: boolean;
}

export function logPath(request: LogRequest): string {
  const query = new URLSearchParams({ container: request.container, tailLines: String(LOG_TAIL_LINES) });
  if (request.previous) query.set('previous', 'true');
  if (request.follow) query.set('follow', 'true');
  return `/api/v1/namespaces/${encodeURIComponent(request.namespace)}/pods/${encodeURIComponent(request.pod)}/log?${query.toString()}`;
}

export function logsCommand(request: LogRequest): string {
  return ['kubectl logs', request.pod, '-n', request.namespace, '-c', request.container, `--tail=${LOG_TAIL_LINES}`, request.follow ? '-f' : '', request.previous ? '--previous' : '']
    .filter(Boolean)
    .join(' ');
}

/** Streams the log text to onText chunk by chunk; resolves when the server ends it or the signal aborts. */
export async function streamPodLog(client: RestClient, request: LogRequest, onText: (text: string) => void, signal: AbortSignal): Promise<void> {
  const headers: Record<string, string> = { Accept: 'text/plain, */*' };
  if (client.config.token) headers.Authorization = `Bearer ${client.config.token}`;
  const fetchImpl = client.config.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const server = client.config.server.replace(/\/+$/, '');
  let response: Response;
  try {
    response = await fetchImpl(`${server}${logPath(request)}`, { method: 'GET', headers, signal });
  } catch (error) {
    if (signal.aborted) return;
    throw error;
  }
  if (!response.ok) {
    const text = await response.text().catch(() => '');
    let message = text.trim() || `${response.status} ${response.statusText}`;
    try {
      const status = JSON.parse(text) as { message?: string };
      if (status.message) message = status.message;
    } catch {
      // plain text error
    }
    throw new Error(message);
  }
  if (!response.body) {
    onText(await response.text());
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      if (text) onText(text);
    }
    const rest = decoder.decode();
    if (rest) onText(rest);
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    reader.cancel().catch(() => {});
  }
}
