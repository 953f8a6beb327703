import { describe, it, expect } from 'vitest';
import {
  LabelSelectorParseError,
  matchesLabels,
  parseLabelSelector,
  selectorFromLabelSelector,
} from './label-selector.ts';
import { isValidLabelKey, isValidLabelValue } from './name-validation.ts';

function parseError(text: string): LabelSelectorParseError {
  try {
    parseLabelSelector(text);
  } catch (error) {
    expect(error).toBeInstanceOf(LabelSelectorParseError);
    return error as LabelSelectorParseError;
  }
  throw new Error(`expected "${text}" to be rejected`);
}

function structuredError(input: Parameters<typeof selectorFromLabelSelector>[0]): LabelSelectorParseError {
  try {
    selectorFromLabelSelector(input);
  } catch (error) {
    expect(error).toBeInstanceOf(LabelSelectorParseError);
    return error as LabelSelectorParseError;
  }
  throw new Error('expected the selector to be rejected');
}

describe('parseLabelSelector: syntax', () => {
  it('parses each operator into a requirement', () => {
    expect(parseLabelSelector('a=b').requirements).toEqual([{ key: 'a', operator: '=', values: ['b'] }]);
    expect(parseLabelSelector('a==b').requirements).toEqual([{ key: 'a', operator: '==', values: ['b'] }]);
    expect(parseLabelSelector('a!=b').requirements).toEqual([{ key: 'a', operator: '!=', values: ['b'] }]);
    expect(parseLabelSelector('a in (y,x)').requirements).toEqual([{ key: 'a', operator: 'in', values: ['x', 'y'] }]);
    expect(parseLabelSelector('a notin (x)').requirements).toEqual([{ key: 'a', operator: 'notin', values: ['x'] }]);
    expect(parseLabelSelector('a').requirements).toEqual([{ key: 'a', operator: 'exists', values: [] }]);
    expect(parseLabelSelector('!a').requirements).toEqual([{ key: 'a', operator: '!', values: [] }]);
    expect(parseLabelSelector('a>5').requirements).toEqual([{ key: 'a', operator: 'gt', values: ['5'] }]);
    expect(parseLabelSelector('a<5').requirements).toEqual([{ key: 'a', operator: 'lt', values: ['5'] }]);
  });

  it('treats the empty string and whitespace as the selector that selects everything', () => {
    for (const text of ['', '   ', '\t\n']) {
      const selector = parseLabelSelector(text);
      expect(selector.isEmpty()).toBe(true);
      expect(selector.matches({})).toBe(true);
      expect(selector.matches(undefined)).toBe(true);
      expect(selector.matches({ any: 'thing' })).toBe(true);
      expect(selector.toString()).toBe('');
    }
  });

  it('tolerates whitespace around operators, commas and inside value lists', () => {
    const selector = parseLabelSelector('  tier   in  ( web ,  api )  ,  app = shop , ! canary ');
    expect(selector.requirements).toEqual([
      { key: 'app', operator: '=', values: ['shop'] },
      { key: 'canary', operator: '!', values: [] },
      { key: 'tier', operator: 'in', values: ['api', 'web'] },
    ]);
  });

  it('accepts prefixed keys and in/notin as values', () => {
    const selector = parseLabelSelector('app.kubernetes.io/name=web,mode in (in,notin)');
    expect(selector.matches({ 'app.kubernetes.io/name': 'web', mode: 'notin' })).toBe(true);
    expect(selector.matches({ 'app.kubernetes.io/name': 'web', mode: 'out' })).toBe(false);
  });

  it('reads "a=" as "a is the empty string", as Kubernetes does', () => {
    const selector = parseLabelSelector('a=,b=x');
    expect(selector.requirements[0]).toEqual({ key: 'a', operator: '=', values: [''] });
    expect(selector.matches({ a: '', b: 'x' })).toBe(true);
    expect(selector.matches({ a: 'y', b: 'x' })).toBe(false);
  });

  it('reads an empty slot in a value list as the empty value, as Kubernetes does', () => {
    expect(parseLabelSelector('a in (x,)').requirements[0].values).toEqual(['', 'x']);
  });

  it('de-duplicates values in a list', () => {
    expect(parseLabelSelector('a in (x,x,y)').requirements[0].values).toEqual(['x', 'y']);
  });

  it('prints the canonical kubectl form, requirements sorted by key and values sorted', () => {
    expect(parseLabelSelector('tier in (web,api),!canary').toString()).toBe('!canary,tier in (api,web)');
    expect(parseLabelSelector('z notin ( b , a ),a==1,m!=2,e,g>3,l<4').toString()).toBe(
      'a==1,e,g>3,l<4,m!=2,z notin (a,b)',
    );
  });

  it('round-trips through toString', () => {
    const text = 'app=web,env notin (dev,qa),!legacy,track,version>2';
    const printed = parseLabelSelector(text).toString();
    expect(parseLabelSelector(printed).toString()).toBe(printed);
  });
});

describe('parseLabelSelector: matching', () => {
  const labels = { app: 'web', tier: 'frontend', version: '3' };

  it('ANDs comma-separated requirements', () => {
    expect(matchesLabels('app=web,tier=frontend', labels)).toBe(true);
    expect(matchesLabels('app=web,tier=backend', labels)).toBe(false);
  });

  it('= and == require the key with that value', () => {
    expect(matchesLabels('app=web', labels)).toBe(true);
    expect(matchesLabels('app==web', labels)).toBe(true);
    expect(matchesLabels('app=api', labels)).toBe(false);
    expect(matchesLabels('missing=web', labels)).toBe(false);
  });

  it('!= matches objects that lack the key', () => {
    expect(matchesLabels('app!=api', labels)).toBe(true);
    expect(matchesLabels('app!=web', labels)).toBe(false);
    expect(matchesLabels('missing!=web', labels)).toBe(true);
    expect(matchesLabels('missing!=web', {})).toBe(true);
    expect(matchesLabels('missing!=web', null)).toBe(true);
  });

  it('in requires the key; notin matches objects that lack it', () => {
    expect(matchesLabels('tier in (frontend,backend)', labels)).toBe(true);
    expect(matchesLabels('tier in (backend)', labels)).toBe(false);
    expect(matchesLabels('missing in (x)', labels)).toBe(false);
    expect(matchesLabels('tier notin (backend)', labels)).toBe(true);
    expect(matchesLabels('tier notin (frontend,backend)', labels)).toBe(false);
    expect(matchesLabels('missing notin (x)', labels)).toBe(true);
  });

  it('exists and !exists look only at the key', () => {
    expect(matchesLabels('app', labels)).toBe(true);
    expect(matchesLabels('missing', labels)).toBe(false);
    expect(matchesLabels('!missing', labels)).toBe(true);
    expect(matchesLabels('!app', labels)).toBe(false);
    expect(matchesLabels('empty', { empty: '' })).toBe(true);
  });

  it('> and < compare integer label values and never match non-integers', () => {
    expect(matchesLabels('version>2', labels)).toBe(true);
    expect(matchesLabels('version>3', labels)).toBe(false);
    expect(matchesLabels('version<4', labels)).toBe(true);
    expect(matchesLabels('version<3', labels)).toBe(false);
    expect(matchesLabels('app>1', labels)).toBe(false);
    expect(matchesLabels('missing<1', labels)).toBe(false);
  });

  it('does not see inherited object properties as labels', () => {
    expect(matchesLabels('toString', {})).toBe(false);
    expect(matchesLabels('!constructor', {})).toBe(true);
  });
});

describe('parseLabelSelector: errors', () => {
  it('rejects an empty in/notin list with the position of "("', () => {
    const error = parseError('a in ()');
    expect(error.position).toBe(5);
    expect(error.message).toContain('empty');
    expect(error.message).toContain('position 5');
    expect(parseError('tier notin ( )').position).toBe(11);
  });

  it('rejects a value that is not a label value after "="', () => {
    const error = parseError('app=(x)');
    expect(error.position).toBe(4);
    expect(error.message).toBe('expected a label value after "=" at position 4, found "("');
  });

  it('rejects in/notin without a parenthesised list', () => {
    const error = parseError('a in x');
    expect(error.position).toBe(5);
    expect(error.message).toContain('expected "(" after "in"');
  });

  it('rejects an unclosed list at the end of the text', () => {
    const error = parseError('a in (x,y');
    expect(error.position).toBe(9);
    expect(error.message).toContain('close the list with ")"');
  });

  it('rejects two values without a comma in a list', () => {
    expect(parseError('a in (x y)').position).toBe(8);
  });

  it('rejects a trailing or doubled comma between requirements', () => {
    expect(parseError('a=b,').position).toBe(4);
    expect(parseError('a=b,,c').position).toBe(4);
    expect(parseError(',a').position).toBe(0);
  });

  it('rejects an unknown operator after a key', () => {
    const error = parseError('a within (x)');
    expect(error.position).toBe(2);
    expect(error.message).toContain('expected an operator');
  });

  it('rejects an operator after "!key"', () => {
    expect(parseError('!a=b').position).toBe(2);
  });

  it('rejects "!" without a key', () => {
    expect(parseError('!').position).toBe(1);
    expect(parseError('a,!=b').position).toBe(2);
  });

  it('rejects requirements not separated by commas', () => {
    const error = parseError('a=b c=d');
    expect(error.position).toBe(4);
    expect(error.message).toContain('expected "," or end of selector');
  });

  it('rejects a non-integer after > and <', () => {
    expect(parseError('a>x').position).toBe(2);
    expect(parseError('a<').position).toBe(2);
  });

  it('rejects an invalid key with its position and the Kubernetes reason', () => {
    const error = parseError('ok=1, -bad=2');
    expect(error.position).toBe(6);
    expect(error.message).toContain('invalid label key "-bad"');
    expect(error.message).toContain("must start and end with an alphanumeric character");
  });

  it('accepts a 63-character value and rejects a 64-character one', () => {
    const ok = 'v'.repeat(63);
    expect(matchesLabels(`a=${ok}`, { a: ok })).toBe(true);
    const error = parseError(`a=${'v'.repeat(64)}`);
    expect(error.position).toBe(2);
    expect(error.message).toContain('must be no more than 63 characters');
  });

  it('rejects an invalid value inside a list', () => {
    const error = parseError('a in (ok, bad_)');
    expect(error.position).toBe(10);
    expect(error.message).toContain('invalid label value "bad_" for key "a"');
  });
});

describe('isValidLabelKey / isValidLabelValue', () => {
  it('accepts good keys and values', () => {
    expect(isValidLabelKey('app')).toEqual([]);
    expect(isValidLabelKey('app.kubernetes.io/name')).toEqual([]);
    expect(isValidLabelKey('A_b-c.D')).toEqual([]);
    expect(isValidLabelKey('k'.repeat(63))).toEqual([]);
    expect(isValidLabelValue('')).toEqual([]);
    expect(isValidLabelValue('My_value-1.0')).toEqual([]);
    expect(isValidLabelValue('v'.repeat(63))).toEqual([]);
  });

  it('uses the Kubernetes wording for a bad value', () => {
    expect(isValidLabelValue('v'.repeat(64))).toEqual(['must be no more than 63 characters']);
    expect(isValidLabelValue('-x')).toEqual([
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ]);
  });

  it('uses the Kubernetes wording for a bad key', () => {
    expect(isValidLabelKey('')).toEqual([
      'name part must be non-empty',
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    ]);
    expect(isValidLabelKey('k'.repeat(64))).toEqual(['name part must be no more than 63 characters']);
    expect(isValidLabelKey('/name')).toEqual(['prefix part must be non-empty']);
    expect(isValidLabelKey('a/b/c')[0]).toMatch(/^a qualified name must consist of .* with an optional DNS subdomain prefix/);
  });

  it('validates the prefix as a DNS-1123 subdomain of at most 253 characters', () => {
    expect(isValidLabelKey('Example.com/name')[0]).toMatch(/^prefix part a lowercase RFC 1123 subdomain must consist of/);
    const longPrefix = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(longPrefix.length).toBe(253);
    expect(isValidLabelKey(`${longPrefix}/name`)).toEqual([]);
    expect(isValidLabelKey(`${longPrefix}d/name`)).toEqual(['prefix part must be no more than 253 characters']);
  });
});

describe('selectorFromLabelSelector', () => {
  it('selects nothing for null and undefined', () => {
    for (const input of [null, undefined]) {
      const selector = selectorFromLabelSelector(input);
      expect(selector.matches({})).toBe(false);
      expect(selector.matches({ app: 'web' })).toBe(false);
      expect(selector.isEmpty()).toBe(false);
    }
  });

  it('selects everything for {}', () => {
    const selector = selectorFromLabelSelector({});
    expect(selector.isEmpty()).toBe(true);
    expect(selector.matches({})).toBe(true);
    expect(selector.matches(undefined)).toBe(true);
    expect(selectorFromLabelSelector({ matchLabels: {}, matchExpressions: [] }).isEmpty()).toBe(true);
  });

  it('ANDs matchLabels and matchExpressions', () => {
    const selector = selectorFromLabelSelector({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['api', 'frontend'] },
        { key: 'env', operator: 'NotIn', values: ['dev'] },
        { key: 'track', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist', values: [] },
      ],
    });
    expect(selector.toString()).toBe('app=web,env notin (dev),!legacy,tier in (api,frontend),track');
    expect(selector.matches({ app: 'web', tier: 'api', track: 'stable' })).toBe(true);
    expect(selector.matches({ app: 'web', tier: 'api', track: 'stable', env: 'dev' })).toBe(false);
    expect(selector.matches({ app: 'web', tier: 'api', track: 'stable', legacy: 'yes' })).toBe(false);
    expect(selector.matches({ app: 'web', tier: 'db', track: 'stable' })).toBe(false);
    expect(selector.matches({ app: 'api', tier: 'api', track: 'stable' })).toBe(false);
    expect(selector.matches({ app: 'web', tier: 'api' })).toBe(false);
  });

  it('prints a selector that parses back to the same one', () => {
    const selector = selectorFromLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: ['y', 'x'] }] });
    expect(parseLabelSelector(selector.toString()).requirements).toEqual(selector.requirements);
  });

  it('rejects an unknown operator, naming the field', () => {
    const error = structuredError({ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] });
    expect(error.field).toBe('matchExpressions[0].operator');
    expect(error.position).toBe(-1);
    expect(error.message).toContain('"Equals" is not a valid label selector operator');
  });

  it('rejects In/NotIn without values and Exists/DoesNotExist with values', () => {
    expect(structuredError({ matchExpressions: [{ key: 'a', operator: 'In' }] }).field).toBe(
      'matchExpressions[0].values',
    );
    expect(structuredError({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] }).message).toContain(
      "values set can't be empty",
    );
    const error = structuredError({
      matchExpressions: [
        { key: 'a', operator: 'Exists' },
        { key: 'b', operator: 'DoesNotExist', values: ['x'] },
      ],
    });
    expect(error.field).toBe('matchExpressions[1].values');
    expect(error.message).toContain('values set must be empty');
  });

  it('rejects invalid keys and values', () => {
    expect(structuredError({ matchLabels: { 'bad key': 'x' } }).message).toContain('"bad key"');
    expect(structuredError({ matchLabels: { app: 'v'.repeat(64) } }).message).toContain(
      'must be no more than 63 characters',
    );
    expect(
      structuredError({ matchExpressions: [{ key: 'a', operator: 'In', values: ['ok', '-no'] }] }).field,
    ).toBe('matchExpressions[0].values[1]');
  });
});
