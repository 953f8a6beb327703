import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cloneJson, jsonEqual, toJsonData } from './json-clone.ts';

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

describe('jsonEqual', () => {
  // JSON values with undefined fields sprinkled in, and the same value with its keys in another order.
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.integer(), fc.string({ maxLength: 4 }), tie('array'), tie('object')),
    array: fc.array(tie('value'), { maxLength: 3 }),
    object: fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(tie('value'), fc.constant(undefined)), { maxKeys: 4 }),
  })).value;
  const reordered = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(reordered);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(Object.entries(value).reverse().map(([key, child]) => [key, reordered(child)]));
  };

  it('says equal exactly when the two would be stored alike', () => {
    fc.assert(
      fc.property(json, json, (a, b) => {
        expect(jsonEqual(a, b)).toBe(isDeepStrictEqual(toJsonData(a), toJsonData(b)));
        expect(jsonEqual(a, reordered(a))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('ignores undefined fields and key order, not values', () => {
    expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
    expect(jsonEqual({ a: null }, {})).toBe(false);
  });
});
