import { describe, expect, it } from 'vitest';
import { parseResourcePath } from './request-info.ts';

describe('parseResourcePath', () => {
  const parse = (path: string) => {
    const parsed = parseResourcePath(path);
    return parsed.kind === 'resource' ? { ...parsed.request, info: parsed.request.info.plural } : parsed;
  };

  it('splits core and group paths, namespaced and not', () => {
    expect(parse('/api/v1/namespaces/shop/pods/web-1/status')).toEqual({ info: 'pods', namespace: 'shop', name: 'web-1', subresource: 'status' });
    expect(parse('/apis/apps/v1/namespaces/shop/deployments')).toEqual({ info: 'deployments', namespace: 'shop', name: '', subresource: '' });
    expect(parse('/apis/apps/v1/namespaces/shop/deployments/web/scale')).toEqual({ info: 'deployments', namespace: 'shop', name: 'web', subresource: 'scale' });
    expect(parse('/apis/apps/v1/deployments')).toEqual({ info: 'deployments', namespace: '', name: '', subresource: '' });
    expect(parse('/api/v1/nodes/n1')).toEqual({ info: 'nodes', namespace: '', name: 'n1', subresource: '' });
  });

  it('treats namespaces/NAME and its status as the Namespace object', () => {
    expect(parse('/api/v1/namespaces/shop')).toEqual({ info: 'namespaces', namespace: '', name: 'shop', subresource: '' });
    expect(parse('/api/v1/namespaces/shop/status')).toEqual({ info: 'namespaces', namespace: '', name: 'shop', subresource: 'status' });
  });

  it('reports unknown resources and other paths', () => {
    expect(parse('/api/v1/namespaces/shop/frobs')).toMatchObject({ kind: 'unknown-resource', plural: 'frobs' });
    expect(parse('/apis/apps/v1/namespaces/shop/nodes')).toMatchObject({ kind: 'unknown-resource' });
    expect(parse('/healthz')).toEqual({ kind: 'other' });
  });
});
