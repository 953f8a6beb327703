import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// electron-builder.yml is checked against electron-builder's own schema here, since
// packaging itself needs Electron downloads and runs only in release builds.

const require = createRequire(import.meta.url);
const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  validateConfiguration(config: unknown, debugLogger: { add(): void; isEnabled: boolean }): Promise<void>;
};
const config = parse(readFileSync(new URL('../electron-builder.yml', import.meta.url), 'utf8'));

describe('electron-builder.yml', () => {
  it("matches electron-builder's schema", async () => {
    await expect(validateConfiguration(config, { add() {}, isEnabled: false })).resolves.toBeUndefined();
  });

  it('builds AppImage and deb, dmg, and nsis, starting dist/electron/main.js', () => {
    expect(config.productName).toBe('Kubelab');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toBe('dmg');
    expect(config.win.target).toBe('nsis');
    expect(config.extraMetadata.main).toBe('dist/electron/main.js');
    for (const needed of ['dist/electron/**', 'dist/renderer/**', 'core/**', 'bin/**', 'resources/**']) expect(config.files).toContain(needed);
  });
});
