import { RestClient } from '../../../core/client/rest-client.ts';

// How the renderer reaches the control plane. In a browser (`kubelab serve`) the page
// comes from the API server itself, so requests are same-origin and the token arrives
// in the URL fragment (`#token=...`), which browsers never send to a server and so
// never lands in a log. It is taken out of the address bar before the router reads the
// hash (the router would otherwise turn `#token=...` into the route `/token=...`), and
// kept in localStorage, which is per origin (127.0.0.1:PORT) and shared by every tab:
// a reload, a bookmark of any view and a second tab all find it. A token in the
// address always wins, so the printed address also mends a stale stored one.
// In Electron the preload bridge hands over the address and token.

export const TOKEN_KEY = 'kubelab.token';

export interface Connection {
  server: string;
  token: string;
}

/**
 * The fragment as route and parameters. `#token=T` (what `kubelab serve` prints) and
 * `#/token=T` (that address after the router rewrote it, e.g. in an old bookmark) are
 * all parameters; `#/map?selector=...&token=T` is a route with parameters.
 */
function splitFragment(hash: string): { route: string; params: URLSearchParams } {
  const body = hash.replace(/^#/, '');
  const question = body.indexOf('?');
  const route = question < 0 ? body : body.slice(0, question);
  const query = question < 0 ? '' : body.slice(question + 1);
  if (/^\/?token=/.test(route)) return { route: '/', params: new URLSearchParams([route.replace(/^\//, ''), query].filter(Boolean).join('&')) };
  return { route, params: new URLSearchParams(query) };
}

/** Moves a token in the address's fragment into `storage` and takes it out of the address bar; true when there was one. */
export function adoptTokenFromLocation(location: Location, storage: Storage, history: History): boolean {
  const { route, params } = splitFragment(location.hash);
  const token = params.get('token');
  if (!token) return false;
  storage.setItem(TOKEN_KEY, token);
  params.delete('token');
  const query = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}#${route || '/'}${query ? `?${query}` : ''}`);
  return true;
}

/**
 * Must run before the router is created: it reads (and rewrites) the hash as soon as it
 * exists. The printed address pasted into a tab that already shows the GUI changes only
 * the hash, so no page load happens: that token is adopted too, and the page reloads to
 * connect with it.
 */
export function adoptBrowserToken(): void {
  if (window.kubelab) return;
  adoptTokenFromLocation(window.location, window.localStorage, window.history);
  window.addEventListener('hashchange', () => {
    // The router has already routed to `/token=...`; a reload starts clean on the map.
    if (adoptTokenFromLocation(window.location, window.localStorage, window.history)) window.location.reload();
  });
}

export async function resolveConnection(): Promise<Connection> {
  if (window.kubelab) {
    const answer = await window.kubelab.connection();
    if ('error' in answer) throw new Error(answer.error);
    return { server: answer.result.apiUrl, token: answer.result.token };
  }
  return { server: '', token: window.localStorage.getItem(TOKEN_KEY) ?? '' };
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
