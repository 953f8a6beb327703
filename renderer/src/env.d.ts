/// <reference types="vite/client" />
import type { KubelabBridge } from '../../electron/bridge-api.ts';

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

declare global {
  interface Window {
    /** Present only inside the Electron window (preload); the browser build works without it. */
    kubelab?: KubelabBridge;
  }
}
