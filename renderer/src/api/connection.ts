import { RestClient } from '../../../core/client/rest-client.ts';

// How the renderer reaches the control plane. In a browser (`kubelab serve`) the page
// comes from the API server itself, so requests are same-origin and the token arrives
// in the URL fragment (`#token=...`), which browsers never send to a server and so
// never lands in a log; it is kept in sessionStorage and removed from the address bar.
// In Electron the preload bridge hands over the address and token.

const TOKEN_KEY = 'kubelab.token';

export interface Connection {
  server: string;
  token: string;
}

/** Takes `#token=...` (or `#/...&token=...`) out of the address bar into sessionStorage. */
export function adoptTokenFromLocation(location: Location, storage: Storage, history: History): void {
  const match = /(?:^#|[&?#])token=([^&]+)/.exec(location.hash);
  if (!match) return;
  storage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  const rest = location.hash.replace(/[&?]?token=[^&]+/, '').replace(/^#&?$/, '');
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest || '#/'}`);
}

export async function resolveConnection(): Promise<Connection> {
  if (window.kubelab) {
    const answer = await window.kubelab.connection();
    if ('error' in answer) throw new Error(answer.error);
    return { server: answer.result.apiUrl, token: answer.result.token };
  }
  adoptTokenFromLocation(window.location, window.sessionStorage, window.history);
  return { server: '', token: window.sessionStorage.getItem(TOKEN_KEY) ?? '' };
}

let client: RestClient | undefined;

/** The one RestClient of the renderer; set by main.ts before the app mounts (tests set their own). */
export function setApiClient(next: RestClient): void {
  client = next;
}

export function apiClient(): RestClient {
  if (!client) throw new Error('API client used before the connection was resolved');
  return client;
}
