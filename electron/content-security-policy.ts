// The window's Content Security Policy. The API server sends one with the renderer and
// renderer/index.html carries one too; the main process adds this header to every
// response from the app's origin as well, so the window is covered even if a page
// arrives without one. Several policies are all enforced, so adding never loosens.

import { RENDERER_CSP } from '../core/apiserver/renderer-assets.ts';

export const CONTENT_SECURITY_POLICY = RENDERER_CSP;

export type ResponseHeaders = Record<string, string | string[]>;

/** The response headers with `policy` added as one more Content-Security-Policy (others kept). */
export function withContentSecurityPolicy(headers: ResponseHeaders | undefined, policy = CONTENT_SECURITY_POLICY): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  const existing: string[] = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    if (name.toLowerCase() === 'content-security-policy') existing.push(...values);
    else result[name] = values;
  }
  result['Content-Security-Policy'] = [...existing, policy];
  return result;
}
