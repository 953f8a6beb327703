import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { leaveOnNodes, readQuitChoice, rememberQuitChoice } from './quit-choice.ts';

const dir = mkdtempSync(join(tmpdir(), 'kubelab-quit-'));
afterEach(() => rmSync(join(dir, 'profile'), { recursive: true, force: true }));

describe('the remembered quit choice', () => {
  it('is asked for until remembered, then read back', async () => {
    const file = join(dir, 'profile', 'quit-choice.json');
    expect(await readQuitChoice(file)).toBeUndefined();
    await rememberQuitChoice(file, 'stop-pods');
    expect(await readQuitChoice(file)).toBe('stop-pods');
    await rememberQuitChoice(file, 'keep');
    expect(await readQuitChoice(file)).toBe('keep');
  });

  it('a garbled file means: ask again', async () => {
    const file = join(dir, 'garbled.json');
    writeFileSync(file, '{"choice": "explode"}');
    expect(await readQuitChoice(file)).toBeUndefined();
    writeFileSync(file, 'not json');
    expect(await readQuitChoice(file)).toBeUndefined();
  });

  it('keeps pods, or stops them and keeps their volumes', () => {
    expect(leaveOnNodes('keep')).toBe('pods');
    expect(leaveOnNodes('stop-pods')).toBe('volumes');
  });
});
