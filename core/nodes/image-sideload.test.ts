import { PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import { describe, expect, it } from 'vitest';
import { FakeRuntime } from '../agent/fake-runtime.ts';
import { normalizeImageRef, withImageSideload } from './image-sideload.ts';

// Stand-ins for the two daemons: the host "saves" an image as a stream holding its
// name; the node "loads" it by noting the name, which its runtime then reports present.

function hostWith(images: string[]): Dockerode & { saved: string[] } {
  const saved: string[] = [];
  return {
    saved,
    getImage: (ref: string) => ({
      inspect: async () => {
        if (!images.includes(ref)) throw Object.assign(new Error(`No such image: ${ref}`), { statusCode: 404 });
        return {};
      },
      get: async () => {
        saved.push(ref);
        const archive = new PassThrough();
        archive.end(ref);
        return archive;
      },
    }),
  } as unknown as Dockerode & { saved: string[] };
}

function nodeWith(loaded: Set<string>): Dockerode {
  return {
    loadImage: async (archive: NodeJS.ReadableStream) => {
      let name = '';
      for await (const chunk of archive) name += String(chunk);
      loaded.add(name);
      const progress = new PassThrough();
      progress.end(JSON.stringify({ stream: `Loaded image: ${name}\n` }));
      return progress;
    },
    modem: {
      followProgress: (stream: NodeJS.ReadableStream, done: (error: Error | null, events: unknown[]) => void) => {
        stream.resume();
        stream.on('end', () => done(null, []));
      },
    },
  } as unknown as Dockerode;
}

/** A node runtime whose pulls are recorded and whose images are what was loaded. */
function nodeRuntime(loaded: Set<string>): FakeRuntime & { pulls: string[] } {
  const runtime = Object.assign(new FakeRuntime([]), { pulls: [] as string[] });
  runtime.pullImage = async (ref) => {
    runtime.pulls.push(ref);
  };
  runtime.imageId = async (ref) => (loaded.has(ref) ? `sha256:${ref}` : undefined);
  return runtime;
}

describe('normalizeImageRef', () => {
  it('adds :latest only where no tag or digest is given', () => {
    expect(normalizeImageRef('busybox')).toBe('busybox:latest');
    expect(normalizeImageRef('localhost:5000/team/app')).toBe('localhost:5000/team/app:latest');
    expect(normalizeImageRef('kubelab/busybox:test')).toBe('kubelab/busybox:test');
    expect(normalizeImageRef('app@sha256:abc')).toBe('app@sha256:abc');
  });
});

describe('withImageSideload', () => {
  it('copies an image the host has instead of pulling it on the node', async () => {
    const loaded = new Set<string>();
    const runtime = nodeRuntime(loaded);
    const host = hostWith(['kubelab/busybox:test']);
    const progress: string[] = [];

    await withImageSideload(runtime, host, nodeWith(loaded)).pullImage('kubelab/busybox:test', (line) => progress.push(line));

    expect(host.saved).toEqual(['kubelab/busybox:test']);
    expect([...loaded]).toEqual(['kubelab/busybox:test']);
    expect(runtime.pulls).toEqual([]);
    expect(progress).toEqual(["copied kubelab/busybox:test from the host's Docker daemon"]);
  });

  it('copies one image once for concurrent pulls, by its tagged name', async () => {
    const loaded = new Set<string>();
    const runtime = nodeRuntime(loaded);
    const host = hostWith(['busybox:latest']);
    const wrapped = withImageSideload(runtime, host, nodeWith(loaded));

    await Promise.all([wrapped.pullImage('busybox'), wrapped.pullImage('busybox:latest')]);

    expect(host.saved).toEqual(['busybox:latest']);
    expect(runtime.pulls).toEqual([]);
  });

  it('pulls on the node when the host does not have the image', async () => {
    const loaded = new Set<string>();
    const runtime = nodeRuntime(loaded);
    const host = hostWith([]);
    await withImageSideload(runtime, host, nodeWith(loaded)).pullImage('nginx');
    expect(host.saved).toEqual([]);
    expect(runtime.pulls).toEqual(['nginx']);
  });

  it('passes every other call through to the node runtime', async () => {
    const runtime = new FakeRuntime(['busybox:latest']);
    const wrapped = withImageSideload(runtime, hostWith([]), nodeWith(new Set()));
    expect(await wrapped.imageId('busybox:latest')).toBe(await runtime.imageId('busybox:latest'));
    expect(await wrapped.info()).toEqual(await runtime.info());
  });
});
