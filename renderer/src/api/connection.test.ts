import { afterEach, describe, expect, it } from 'vitest';
import { createKubelabRouter } from '../router.ts';
import { adoptBrowserToken, adoptTokenFromLocation, resolveConnection, TOKEN_KEY } from './connection.ts';

// The browser's token hand-over: `kubelab serve` prints http://127.0.0.1:PORT/#token=T.
// The token must reach storage before the router rewrites the hash, and every later
// address of the same origin (a reload, a bookmark, a second tab) must find it.

function openAddress(hash: string): void {
  window.history.replaceState(null, '', `/${hash}`);
}

afterEach(() => {
  window.localStorage.clear();
  openAddress('');
});

describe('token hand-over', () => {
  it('takes the printed address #token=T before the router reads it, and lands on the map', async () => {
    openAddress('#token=abc%2Bdef');
    adoptBrowserToken();
    const router = createKubelabRouter();
    await router.push(router.currentRoute.value.fullPath);
    await router.isReady();
    expect(window.localStorage.getItem(TOKEN_KEY)).toBe('abc+def');
    expect(window.location.hash).toBe('#/map');
    expect(window.location.href).not.toContain('abc');
  });

  it('without it, the router would have made the token a route: the order in main.ts matters', () => {
    openAddress('#token=abc');
    createKubelabRouter();
    expect(window.location.hash).toBe('#/token=abc');
    // ...and an address mangled that way (an old bookmark) still hands the token over.
    adoptBrowserToken();
    expect(window.localStorage.getItem(TOKEN_KEY)).toBe('abc');
    expect(window.location.hash).toBe('#/');
  });

  it('keeps the route and the other parameters of #/path?...&token=T', () => {
    openAddress(`#/workloads?selector=${encodeURIComponent('tier in (web)')}&token=t1`);
    adoptTokenFromLocation(window.location, window.localStorage, window.history);
    expect(window.localStorage.getItem(TOKEN_KEY)).toBe('t1');
    expect(window.location.hash).toMatch(/^#\/workloads\?selector=tier(\+|%20)in(\+|%20)%28web%29$/);
  });

  it('a reload or a second tab (same origin, no token in the address) uses the stored token; a new one replaces it', async () => {
    openAddress('#token=first');
    adoptBrowserToken();
    expect((await resolveConnection()).token).toBe('first');
    openAddress('#/nodes');
    adoptBrowserToken();
    expect((await resolveConnection()).token).toBe('first');
    expect(window.location.hash).toBe('#/nodes');
    openAddress('#token=second');
    adoptBrowserToken();
    expect((await resolveConnection()).token).toBe('second');
  });
});
