import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Low } from 'lowdb';
import { DurableJsonFile } from './durable-json-file.ts';

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kubelab-durable-'));
  file = join(dir, 'data.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('DurableJsonFile', () => {
  it('reads null when there is no file, then round-trips through lowdb', async () => {
    const db = new Low(new DurableJsonFile<{ n: number }>({ file }), { n: 0 });
    await db.read();
    expect(db.data).toEqual({ n: 0 });
    db.data.n = 42;
    await db.write();
    expect(readFileSync(file, 'utf8')).toBe('{\n  "n": 42\n}\n');
    const again = new Low(new DurableJsonFile<{ n: number }>({ file }), { n: 0 });
    await again.read();
    expect(again.data).toEqual({ n: 42 });
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('leaves no temp file behind after writes', async () => {
    const adapter = new DurableJsonFile<number[]>({ file });
    await Promise.all([adapter.write([1]), adapter.write([1, 2]), adapter.write([1, 2, 3])]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(['data.json']);
  });

  it('writes a serializer\'s pieces in order, even more than one writev call takes', async () => {
    const pieces = Array.from({ length: 5000 }, (_, i) => Buffer.from(`${i === 0 ? '[' : ','}${i}`));
    pieces.push(Buffer.from(']'));
    const adapter = new DurableJsonFile<unknown>({ file, serialize: () => pieces });
    await adapter.write(null);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('writes an async serializer\'s pieces as they come', async () => {
    async function* pieces() {
      for (let i = 0; i < 300; i++) {
        yield Buffer.from(`${i === 0 ? '[' : ','}${i}`);
        if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      yield Buffer.from(']');
    }
    const adapter = new DurableJsonFile<unknown>({ file, serialize: () => pieces() });
    await adapter.write(null);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(readdirSync(dir)).toEqual(['data.json']);
  });

  it('serializes at the call, so later changes to the data are not saved by that write', async () => {
    const adapter = new DurableJsonFile<{ v: string }>({ file });
    const data = { v: 'first' };
    const pending = adapter.write(data);
    data.v = 'second';
    await pending;
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ v: 'first' });
  });

  it('refuses an unparsable file with the path and what to do, and does not touch it', async () => {
    writeFileSync(file, '{"a": 1,');
    const adapter = new DurableJsonFile({ file });
    await expect(adapter.read()).rejects.toThrow(
      `kubelab: cannot read data file ${file}: `,
    );
    await expect(adapter.read()).rejects.toThrow(/left untouched; move it aside or restore a backup, then start again\.$/);
    expect(readFileSync(file, 'utf8')).toBe('{"a": 1,');
  });

  it('refuses an empty file (never treats it as a fresh store)', async () => {
    writeFileSync(file, '');
    await expect(new DurableJsonFile({ file }).read()).rejects.toThrow(/cannot read data file/);
  });

  it('reports a failed write and keeps the previous file whole', async () => {
    const adapter = new DurableJsonFile<{ v: number }>({ file });
    await adapter.write({ v: 1 });
    mkdirSync(`${file}.tmp-${process.pid}`); // the temp file cannot be created
    await expect(adapter.write({ v: 2 })).rejects.toThrow();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ v: 1 });
  });

  it('removes temp files of dead writers at read, keeps a live one', async () => {
    writeFileSync(file, '{"ok": true}');
    const dead = `${file}.tmp-999999`;
    const live = `${file}.tmp-${process.ppid}`;
    const unrelated = join(dir, 'other.json.tmp-999999');
    for (const f of [dead, live, unrelated]) writeFileSync(f, '{ partial');
    expect(await new DurableJsonFile({ file }).read()).toEqual({ ok: true });
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(unrelated)).toBe(true);
  });
});
