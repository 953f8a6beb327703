import { createRouter, createWebHashHistory, type Router, type RouterHistory } from 'vue-router';

// Hash history: the same build works from `kubelab serve` and from a file in Electron.
// The label filter lives in the query (?selector=...), so a filtered view is a link.
// Each area's view is loaded on demand.

export function createKubelabRouter(history: RouterHistory = createWebHashHistory()): Router {
  return createRouter({
    history,
    routes: [
      { path: '/', redirect: '/map' },
      { path: '/map', name: 'map', component: () => import('./views/map/ClusterMapView.vue') },
      { path: '/workloads', name: 'workloads', component: () => import('./views/workloads/WorkloadsView.vue') },
      { path: '/workloads/deployments/:namespace/:name', name: 'rollout', component: () => import('./views/rollouts/RolloutHistoryView.vue'), props: true },
      { path: '/services', name: 'services', component: () => import('./views/services/ServicesView.vue') },
      { path: '/nodes', name: 'nodes', component: () => import('./views/nodes/NodesView.vue') },
      { path: '/events', name: 'events', component: () => import('./views/events/EventsView.vue') },
      { path: '/control-plane', name: 'control-plane', component: () => import('./views/control-plane/ControlPlaneView.vue') },
      { path: '/import', name: 'import', component: () => import('./views/import/ImportView.vue') },
    ],
  });
}
