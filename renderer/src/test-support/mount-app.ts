import { mount, type ComponentMountingOptions } from '@vue/test-utils';
import { createPinia, setActivePinia, type Pinia } from 'pinia';
import type { Component } from 'vue';
import { createMemoryHistory, type Router } from 'vue-router';
import { keyOf, type KubeObject } from '../../../core/api/kube-object.ts';
import type { RestClient } from '../../../core/client/rest-client.ts';
import { setApiClient } from '../api/connection.ts';
import type { WatchedKind } from '../api/resources.ts';
import { createKubelabI18n } from '../i18n/index.ts';
import { createKubelabRouter } from '../router.ts';
import { useClusterStore } from '../stores/cluster.ts';
import type { Locale } from '../stores/ui.ts';

// Component tests mount a view with the real stores, i18n and router; the cluster store
// is filled directly with objects (as if its informers had listed them), and API calls
// go to the RestClient the test passes (a real one against test-api-server, or a stub).

export interface MountAppOptions {
  objects?: Partial<Record<WatchedKind, KubeObject[]>>;
  client?: RestClient;
  locale?: Locale;
  path?: string;
}

export interface MountedApp {
  pinia: Pinia;
  router: Router;
}

export function fillCluster(objects: Partial<Record<WatchedKind, KubeObject[]>>): void {
  const cluster = useClusterStore();
  for (const [kind, list] of Object.entries(objects) as [WatchedKind, KubeObject[]][]) {
    // The store unwraps its refs: assigning the property sets the ref's value.
    (cluster.maps as unknown as Record<string, ReadonlyMap<string, KubeObject>>)[kind] = new Map(list.map((obj) => [keyOf(obj), obj]));
  }
  cluster.synced = true;
}

export async function mountApp<C extends Component>(component: C, options: MountAppOptions = {}, mountOptions: ComponentMountingOptions<C> = {} as ComponentMountingOptions<C>) {
  const pinia = createPinia();
  setActivePinia(pinia);
  const router = createKubelabRouter(createMemoryHistory());
  if (options.client) setApiClient(options.client);
  fillCluster(options.objects ?? {});
  await router.push(options.path ?? '/map');
  await router.isReady();
  const wrapper = mount(component, {
    ...mountOptions,
    global: { plugins: [pinia, router, createKubelabI18n(options.locale ?? 'en')], ...(mountOptions.global ?? {}) },
  } as ComponentMountingOptions<C>);
  return { wrapper, pinia, router };
}
