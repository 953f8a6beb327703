import { describe, expect, it } from 'vitest';
import { cloneJson, toJsonData } from './json-clone.ts';

describe('cloneJson', () => {
  it('copies nested objects and arrays without sharing', () => {
    const original = Object.freeze({ a: [1, { b: 'x' }], c: { d: null, e: true } });
    const copy = cloneJson(original);
    expect(copy).toEqual(original);
    expect(copy).not.toBe(original);
    expect(copy.a).not.toBe(original.a);
    expect(Object.isFrozen(copy)).toBe(false);
    (copy.a[1] as { b: string }).b = 'changed';
    expect((original.a[1] as { b: string }).b).toBe('x');
  });

  it('keeps a "__proto__" key as data', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}}');
    const copy = cloneJson(parsed);
    expect(Object.keys(copy)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
  });
});

describe('toJsonData', () => {
  it('turns values into what JSON keeps', () => {
    expect(toJsonData({ when: new Date('2024-01-01T00:00:00Z'), gone: undefined })).toEqual({ when: '2024-01-01T00:00:00.000Z' });
  });
});
