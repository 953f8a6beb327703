// Bundles the Electron main process and preload into dist/electron/ with esbuild.
//   node electron/build.mjs
// main.js is an ES module (the package is "type": "module"); every package stays
// external (node_modules ships with the app), and so does the control plane in core/,
// which main.js loads at run time through tsx (see main.ts).
// preload.cjs is CommonJS: sandboxed preloads are run as plain scripts, not modules,
// and may require only 'electron' (and a few Node-free modules).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = `${ROOT}dist/electron`;

export async function buildElectron() {
  const common = { bundle: true, sourcemap: 'linked', target: 'node20', logLevel: 'warning', absWorkingDir: ROOT };
  await Promise.all([
    build({ ...common, entryPoints: ['electron/main.ts'], outfile: `${OUT}/main.js`, platform: 'node', format: 'esm', packages: 'external' }),
    build({ ...common, entryPoints: ['electron/preload.ts'], outfile: `${OUT}/preload.cjs`, platform: 'node', format: 'cjs', external: ['electron'] }),
  ]);
  return OUT;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildElectron();
  console.log(`electron: built ${out}/main.js and ${out}/preload.cjs`);
}
