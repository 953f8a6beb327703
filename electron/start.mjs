#!/usr/bin/env node
// `npm start`: the desktop app where Electron can run, `kubelab serve` elsewhere
// (electron/launcher.ts). Like bin/kubelab.mjs it runs TypeScript through tsx.
import { register } from 'tsx/esm/api';

register();
const { launch } = await import('./launcher.ts');
process.exitCode = await launch(process.argv.slice(2));
