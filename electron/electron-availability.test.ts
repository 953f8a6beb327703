import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { displayProblem, electronBinaryPath } from './electron-availability.ts';

describe('displayProblem', () => {
  it('needs DISPLAY or WAYLAND_DISPLAY on Linux', () => {
    expect(displayProblem('linux', {})).toMatch(/no display/);
    expect(displayProblem('linux', { DISPLAY: ':0' })).toBeNull();
    expect(displayProblem('linux', { WAYLAND_DISPLAY: 'wayland-0' })).toBeNull();
  });

  it('always has one on macOS and Windows', () => {
    expect(displayProblem('darwin', {})).toBeNull();
    expect(displayProblem('win32', {})).toBeNull();
  });
});

describe('electronBinaryPath', () => {
  const electronPackage = () => mkdtempSync(join(tmpdir(), 'kubelab-electron-pkg-'));

  it('is undefined without path.txt (binary never downloaded) or when the binary is gone', () => {
    const dir = electronPackage();
    expect(electronBinaryPath(dir, {})).toBeUndefined();
    writeFileSync(join(dir, 'path.txt'), 'electron');
    expect(electronBinaryPath(dir, {})).toBeUndefined();
  });

  it('finds the binary path.txt names, in dist/ or ELECTRON_OVERRIDE_DIST_PATH', () => {
    const dir = electronPackage();
    writeFileSync(join(dir, 'path.txt'), 'electron');
    mkdirSync(join(dir, 'dist'));
    writeFileSync(join(dir, 'dist/electron'), '');
    expect(electronBinaryPath(dir, {})).toBe(join(dir, 'dist/electron'));
    const override = electronPackage();
    expect(electronBinaryPath(dir, { ELECTRON_OVERRIDE_DIST_PATH: override })).toBeUndefined();
    writeFileSync(join(override, 'electron'), '');
    expect(electronBinaryPath(dir, { ELECTRON_OVERRIDE_DIST_PATH: override })).toBe(join(override, 'electron'));
  });
});
