// `node --import ./register.mjs dist/electron/main.js`: runs the Electron main process
// under plain Node, with 'electron' resolved to the stand-in beside this file.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
