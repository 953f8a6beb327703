import { describe, expect, it } from 'vitest';
import {
  isConfigMapKey,
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isEnvVarName,
  isValidPathSegmentName,
  isValidPortName,
  validateAnnotations,
  validateLabels,
} from './name-validation.ts';

describe('name checks', () => {
  it.each<[string, (value: string) => string[], string, string | null]>([
    ['label ok', isDns1123Label, 'my-name', null],
    ['label uppercase', isDns1123Label, 'My-name', 'a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \'-\', and must start and end with an alphanumeric character (e.g. \'my-name\',  or \'123-abc\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?\')'],
    ['label with dot', isDns1123Label, 'a.b', 'a lowercase RFC 1123 label'],
    ['label too long', isDns1123Label, 'a'.repeat(64), 'must be no more than 63 characters'],
    ['subdomain ok', isDns1123Subdomain, 'web.example.com', null],
    ['subdomain trailing dash', isDns1123Subdomain, 'web-', 'a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\''],
    ['subdomain too long', isDns1123Subdomain, 'a'.repeat(254), 'must be no more than 253 characters'],
    ['dns-1035 ok', isDns1035Label, 'web-1', null],
    ['dns-1035 leading digit', isDns1035Label, '1web', 'a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character'],
    ['port name ok', isValidPortName, 'http-alt', null],
    ['port name digits only', isValidPortName, '8080', 'must contain at least one letter (a-z)'],
    ['port name double hyphen', isValidPortName, 'a--b', 'must not contain consecutive hyphens'],
    ['port name edge hyphen', isValidPortName, '-http', 'must not begin or end with a hyphen'],
    ['port name uppercase', isValidPortName, 'HTTP', "must contain only alpha-numerics and '-'"],
    ['port name too long', isValidPortName, 'abcdefghijklmnop', 'must be no more than 15 characters'],
    ['config key ok', isConfigMapKey, '.env_file-1', null],
    ['config key slash', isConfigMapKey, 'a/b', 'a valid config key must consist of alphanumeric characters'],
    ['config key dotdot prefix', isConfigMapKey, '..data', "must not start with '..'"],
    ['env name relaxed', isEnvVarName, '1-my.var', null],
    ['env name with =', isEnvVarName, 'A=B', "a valid environment variable name must consist only of printable ASCII characters other than '='"],
    ['env name empty', isEnvVarName, '', 'a valid environment variable name'],
    ['path segment slash', isValidPathSegmentName, 'a/b', "may not contain '/'"],
  ])('%s', (_name, check, value, expected) => {
    const errors = check(value);
    if (expected === null) expect(errors).toEqual([]);
    else expect(errors.some((error) => error.startsWith(expected)), errors.join('\n')).toBe(true);
  });
});

describe('map checks', () => {
  it('reports bad label keys and values on the map path', () => {
    const errors = validateLabels({ 'example.com/app': 'web', 'bad key': 'ok', app: '-bad' }, 'metadata.labels');
    expect(errors.map((e) => e.field)).toEqual(['metadata.labels', 'metadata.labels']);
    expect(errors[0].message).toMatch(/^metadata\.labels: Invalid value: "bad key": name part must consist of/);
    expect(errors[1].message).toMatch(/^metadata\.labels: Invalid value: "-bad": a valid label must be an empty string/);
  });

  it('accepts empty label values', () => {
    expect(validateLabels({ app: '' }, 'metadata.labels')).toEqual([]);
  });

  it('compares annotation keys lowercased and limits their total size', () => {
    expect(validateAnnotations({ 'Example.COM/Key': 'x' }, 'metadata.annotations')).toEqual([]);
    const big = validateAnnotations({ a: 'x'.repeat(256 * 1024) }, 'metadata.annotations');
    expect(big.map((e) => e.message)).toEqual(['metadata.annotations: Too long: must have at most 262144 bytes']);
    expect(validateAnnotations({ a: 'x'.repeat(256 * 1024 - 1) }, 'metadata.annotations')).toEqual([]);
  });
});
