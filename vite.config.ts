import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

// The renderer (Vue 3 + Pinia) is built once and served by `kubelab serve` or loaded
// by the Electron window; it talks to the control plane only through the Kubernetes API.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [vue()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
  },
});
