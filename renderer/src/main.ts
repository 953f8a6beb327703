import { createPinia } from 'pinia';
import { createApp } from 'vue';
import { RestClient } from '../../core/client/rest-client.ts';
import App from './App.vue';
import { adoptBrowserToken, resolveConnection, setApiClient } from './api/connection.ts';
import { createKubelabI18n } from './i18n/index.ts';
import { createKubelabRouter } from './router.ts';
import { useClusterStore } from './stores/cluster.ts';
import { useUiStore } from './stores/ui.ts';
import './styles/theme.css';

async function main(): Promise<void> {
  // Before the router exists: creating it rewrites the hash, token and all.
  adoptBrowserToken();
  const pinia = createPinia();
  const app = createApp(App).use(pinia).use(createKubelabRouter());
  const ui = useUiStore(pinia);
  app.use(createKubelabI18n(ui.locale));
  const connection = await resolveConnection();
  const client = new RestClient({ server: connection.server, token: connection.token, userAgent: 'kubelab-gui', watchOverWebSocket: true });
  setApiClient(client);
  app.mount('#app');
  await useClusterStore(pinia).start(client);
}

void main();
