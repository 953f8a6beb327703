import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import type { RuntimeEvent } from './container-runtime.ts';
import { DockerRuntime } from './docker-runtime.ts';

// Docker's event stream arrives in chunks that cut anywhere: inside a line, and inside
// a multi-byte character. Each event must come out whole.

describe('DockerRuntime.events', () => {
  it('decodes events by lines across chunk boundaries, multi-byte characters included', async () => {
    const stream = new PassThrough();
    const docker = { getEvents: async () => stream } as unknown as Dockerode;
    const events: RuntimeEvent[] = [];
    const abort = new AbortController();
    const done = new DockerRuntime(docker).events((event) => events.push(event), abort.signal);

    const line = (id: string, value: string) => `${JSON.stringify({ Action: 'die', Actor: { ID: id, Attributes: { 'io.kubelab.pod.name': value } } })}\n`;
    const bytes = Buffer.from(line('c1', 'café-☕') + line('c2', '数据库'));
    // Cut inside 'é', inside '☕', between the two lines' halves and inside '数'.
    const cuts = [bytes.indexOf(Buffer.from('é')) + 1, bytes.indexOf(Buffer.from('☕')) + 2, bytes.indexOf(Buffer.from('数')) + 1];
    let at = 0;
    for (const cut of [...cuts, bytes.length]) {
      stream.write(bytes.subarray(at, cut));
      at = cut;
      await new Promise((resolve) => setImmediate(resolve));
    }
    abort.abort();
    await done;

    expect(events.map((e) => [e.containerId, e.labels['io.kubelab.pod.name']])).toEqual([
      ['c1', 'café-☕'],
      ['c2', '数据库'],
    ]);
  });
});
