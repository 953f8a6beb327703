import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, withContentSecurityPolicy } from './content-security-policy.ts';
import { isPermissionGranted } from './permission-policy.ts';

describe('withContentSecurityPolicy', () => {
  it('adds the policy and keeps other headers', () => {
    expect(withContentSecurityPolicy({ 'content-type': 'text/html', 'X-A': ['1', '2'] })).toEqual({
      'content-type': ['text/html'],
      'X-A': ['1', '2'],
      'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
    });
    expect(withContentSecurityPolicy(undefined)).toEqual({ 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] });
  });

  it("keeps the server's own policies (all are enforced), under one header name", () => {
    expect(withContentSecurityPolicy({ 'content-security-policy': "default-src 'none'" }, "script-src 'self'")).toEqual({
      'Content-Security-Policy': ["default-src 'none'", "script-src 'self'"],
    });
  });

  it('allows no inline or remote script, plugins, framing, or base rewriting', () => {
    const directives = Object.fromEntries(CONTENT_SECURITY_POLICY.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['default-src']).toEqual(["'self'"]);
    expect(directives['object-src']).toEqual(["'none'"]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(directives['base-uri']).toEqual(["'none'"]);
  });
});

describe('isPermissionGranted', () => {
  const APP = 'http://127.0.0.1:40123';
  it('denies everything but clipboard writes from the app origin', () => {
    expect(isPermissionGranted('clipboard-sanitized-write', `${APP}/#/`, APP)).toBe(true);
    expect(isPermissionGranted('clipboard-sanitized-write', 'https://example.com/', APP)).toBe(false);
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'openExternal', 'fullscreen']) {
      expect(isPermissionGranted(permission, `${APP}/`, APP)).toBe(false);
    }
  });
});

describe('opensInSystemBrowser', () => {
  it('opens https links and loopback http (a Service on this machine), nothing else', async () => {
    const { opensInSystemBrowser } = await import('./app-origin.ts');
    expect(opensInSystemBrowser('https://kubernetes.io/docs/')).toBe(true);
    expect(opensInSystemBrowser('http://127.0.0.1:41234/')).toBe(true);
    expect(opensInSystemBrowser('http://localhost:8080/')).toBe(true);
    expect(opensInSystemBrowser('http://example.com/')).toBe(false);
    expect(opensInSystemBrowser('file:///etc/passwd')).toBe(false);
    expect(opensInSystemBrowser('javascript:alert(1)')).toBe(false);
  });
});
