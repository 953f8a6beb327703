import { describe, expect, it } from 'vitest';
import { keyOf, type KubeObject } from '../api/kube-object.ts';
import { Lister, type LabelMatcher } from './lister.ts';

function obj(namespace: string | undefined, name: string, labels?: Record<string, string>): KubeObject {
  return { metadata: { namespace, name, labels } };
}

function cacheOf(...objects: KubeObject[]): Map<string, KubeObject> {
  return new Map(objects.map((o) => [keyOf(o), o]));
}

const appWeb: LabelMatcher = { matches: (labels) => labels.app === 'web' };

describe('Lister', () => {
  const web = obj('a', 'web', { app: 'web' });
  const db = obj('a', 'db', { app: 'db' });
  const otherWeb = obj('b', 'web', { app: 'web' });
  const unlabelled = obj('b', 'bare');
  const node = obj(undefined, 'node-1');
  const lister = new Lister(cacheOf(web, db, otherWeb, unlabelled, node));

  it('gets namespaced and cluster-scoped objects by key, undefined when absent', () => {
    expect(lister.get('a', 'web')).toBe(web);
    expect(lister.get('b', 'web')).toBe(otherWeb);
    expect(lister.get(undefined, 'node-1')).toBe(node);
    expect(lister.get('a', 'missing')).toBeUndefined();
  });

  it('lists everything, or what the selector matches (objects without labels see {})', () => {
    expect(lister.list()).toHaveLength(5);
    expect(lister.list(appWeb)).toEqual([web, otherWeb]);
    const seen: Record<string, string>[] = [];
    lister.list({ matches: (labels) => (seen.push(labels), false) });
    expect(seen).toContainEqual({});
  });

  it('lists one namespace, optionally filtered', () => {
    expect(lister.listNamespace('a')).toEqual([web, db]);
    expect(lister.listNamespace('b', appWeb)).toEqual([otherWeb]);
    expect(lister.listNamespace('nowhere')).toEqual([]);
  });

  it('reads the live cache, not a copy taken at construction', () => {
    const cache = cacheOf(web);
    const live = new Lister(cache);
    cache.set(keyOf(db), db);
    expect(live.get('a', 'db')).toBe(db);
  });
});
