import { describe, it, expect } from 'vitest';
import {
  QuantityError,
  addQuantities,
  compareQuantities,
  formatCpu,
  formatMemory,
  formatQuantity,
  isValidQuantity,
  parseQuantity,
  toBytes,
  toMillicores,
} from './quantity.ts';

const GI = 1024n ** 3n;
const NANO = 1_000_000_000n;

function quantityError(text: string): QuantityError {
  try {
    parseQuantity(text);
  } catch (error) {
    expect(error).toBeInstanceOf(QuantityError);
    return error as QuantityError;
  }
  throw new Error(`expected "${text}" to be rejected`);
}

describe('parseQuantity', () => {
  it('reads decimal SI suffixes exactly', () => {
    expect(parseQuantity('100m').nano).toBe(100_000_000n);
    expect(parseQuantity('0.1').nano).toBe(100_000_000n);
    expect(parseQuantity('5n').nano).toBe(5n);
    expect(parseQuantity('3u').nano).toBe(3_000n);
    expect(parseQuantity('2').nano).toBe(2n * NANO);
    expect(parseQuantity('1k').nano).toBe(1_000n * NANO);
    expect(parseQuantity('1M').nano).toBe(10n ** 6n * NANO);
    expect(parseQuantity('1G').nano).toBe(10n ** 9n * NANO);
    expect(parseQuantity('1T').nano).toBe(10n ** 12n * NANO);
    expect(parseQuantity('1P').nano).toBe(10n ** 15n * NANO);
    expect(parseQuantity('1E').nano).toBe(10n ** 18n * NANO);
    expect(parseQuantity('100m').format).toBe('DecimalSI');
  });

  it('reads binary suffixes exactly', () => {
    expect(parseQuantity('1Ki').nano).toBe(1024n * NANO);
    expect(parseQuantity('128Mi').nano).toBe(128n * 1024n ** 2n * NANO);
    expect(parseQuantity('1.5Gi').nano).toBe((3n * GI * NANO) / 2n);
    expect(parseQuantity('1Ti').nano).toBe(1024n ** 4n * NANO);
    expect(parseQuantity('1Pi').nano).toBe(1024n ** 5n * NANO);
    expect(parseQuantity('1Ei').nano).toBe(1024n ** 6n * NANO);
    expect(parseQuantity('1Gi').format).toBe('BinarySI');
  });

  it('reads decimal exponents', () => {
    expect(parseQuantity('2e3').nano).toBe(2_000n * NANO);
    expect(parseQuantity('1E3').nano).toBe(1_000n * NANO);
    expect(parseQuantity('1e-3').nano).toBe(1_000_000n);
    expect(parseQuantity('1.5e+2').nano).toBe(150n * NANO);
    expect(parseQuantity('2e3').format).toBe('DecimalExponent');
  });

  it('reads signs and fraction forms', () => {
    expect(parseQuantity('-1').nano).toBe(-NANO);
    expect(parseQuantity('+1').nano).toBe(NANO);
    expect(parseQuantity('.5').nano).toBe(NANO / 2n);
    expect(parseQuantity('1.').nano).toBe(NANO);
    expect(parseQuantity('0').nano).toBe(0n);
    expect(parseQuantity('007').nano).toBe(7n * NANO);
    expect(parseQuantity(' 1Gi ').nano).toBe(GI * NANO);
  });

  it('rounds anything finer than a nano up, away from zero', () => {
    expect(parseQuantity('0.1n').nano).toBe(1n);
    expect(parseQuantity('1.1n').nano).toBe(2n);
    expect(parseQuantity('-0.1n').nano).toBe(-1n);
    expect(parseQuantity('1e-30').nano).toBe(1n);
    expect(parseQuantity('0e-30').nano).toBe(0n);
  });

  it('caps binary quantities at 2^63-1, as Kubernetes does', () => {
    expect(parseQuantity('8Ei').nano).toBe(((1n << 63n) - 1n) * NANO);
  });

  it('rejects malformed text with the Kubernetes regular expression in the message', () => {
    for (const text of ['', 'abc', '1.2.3', '.', '-', 'Gi', '1 Gi', '1Gb', '1Gi3x', '1e3.5', '--1']) {
      const error = quantityError(text);
      expect(error.text).toBe(text);
    }
    const error = quantityError('12GB');
    expect(error.message).toContain('"12GB"');
    expect(error.message).toContain(
      "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
    );
  });

  it('rejects unknown suffixes naming the suffix', () => {
    for (const text of ['1K', '1KI', '1mi', '1e', '1Gi3', '1ki', '1MiM']) {
      expect(isValidQuantity(text)).toBe(false);
    }
    const error = quantityError('12K');
    expect(error.message).toContain(`unable to parse quantity's suffix "K"`);
  });

  it('rejects absurdly large exponents instead of building huge numbers', () => {
    expect(quantityError('1e100000').message).toContain('too large');
  });
});

describe('isValidQuantity', () => {
  it('answers without throwing', () => {
    expect(isValidQuantity('250m')).toBe(true);
    expect(isValidQuantity('1.5Gi')).toBe(true);
    expect(isValidQuantity('nope')).toBe(false);
  });
});

describe('compareQuantities', () => {
  it('compares across suffix families', () => {
    expect(compareQuantities('1Gi', '1G')).toBe(1);
    expect(compareQuantities('1G', '1Gi')).toBe(-1);
    expect(compareQuantities('1000m', '1')).toBe(0);
    expect(compareQuantities('1k', '1e3')).toBe(0);
    expect(compareQuantities('1024', '1Ki')).toBe(0);
    expect(compareQuantities('0.5', '500m')).toBe(0);
    expect(compareQuantities('-1', '0')).toBe(-1);
    expect(compareQuantities(parseQuantity('999m'), parseQuantity('1'))).toBe(-1);
  });
});

describe('toMillicores and toBytes', () => {
  it('gives CPU in millicores', () => {
    expect(toMillicores('250m')).toBe(250);
    expect(toMillicores('2')).toBe(2000);
    expect(toMillicores('0.1')).toBe(100);
    expect(toMillicores('1.5')).toBe(1500);
    expect(toMillicores('2e3')).toBe(2_000_000);
  });

  it('rounds a fraction of a milli up', () => {
    expect(toMillicores('1n')).toBe(1);
    expect(toMillicores('1500u')).toBe(2);
    expect(toMillicores('0')).toBe(0);
  });

  it('gives memory in bytes, rounded up', () => {
    expect(toBytes('128Mi')).toBe(128 * 1024 * 1024);
    expect(toBytes('1.5Gi')).toBe(1.5 * 1024 ** 3);
    expect(toBytes('1G')).toBe(1e9);
    expect(toBytes('100m')).toBe(1);
    expect(toBytes('1500m')).toBe(2);
    expect(toBytes(parseQuantity('64Ki'))).toBe(65536);
  });
});

describe('formatQuantity', () => {
  const cases: [string, string][] = [
    ['500m', '500m'],
    ['1Gi', '1Gi'],
    ['1000m', '1'],
    ['1.5Gi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['1536Mi', '1536Mi'],
    ['2048Mi', '2Gi'],
    ['1.5', '1500m'],
    ['0.1', '100m'],
    ['1000', '1k'],
    ['1500', '1500'],
    ['128M', '128M'],
    ['2e3', '2e3'],
    ['1.5e3', '1500'],
    ['2e0', '2'],
    ['1e21', '1e21'],
    ['1000E', '1e21'],
    ['0', '0'],
    ['0Gi', '0'],
    ['-250m', '-250m'],
    ['-1Gi', '-1Gi'],
    ['5n', '5n'],
    ['0.5Ki', '512'],
    ['1.5Ki', '1536'],
    ['0.1Ki', '102400m'],
    ['0.5Mi', '512Ki'],
  ];
  it.each(cases)('%s prints as %s', (input, expected) => {
    expect(formatQuantity(parseQuantity(input))).toBe(expected);
  });

  it('prints a value that parses back to the same amount', () => {
    for (const text of ['1.234', '3.5Gi', '7e-2', '12345678901234567890', '0.1n', '999Ki']) {
      const quantity = parseQuantity(text);
      expect(parseQuantity(formatQuantity(quantity)).nano).toBe(quantity.nano);
    }
  });
});

describe('addQuantities', () => {
  it('adds exactly and keeps the first operand’s format', () => {
    const sum = addQuantities('100m', '0.2');
    expect(sum.nano).toBe(300_000_000n);
    expect(formatQuantity(sum)).toBe('300m');
    expect(formatQuantity(addQuantities('1Gi', '512Mi'))).toBe('1536Mi');
    expect(formatQuantity(addQuantities('1G', '1Gi'))).toBe('2073741824');
  });

  it('takes the second operand’s format when the first is zero', () => {
    expect(formatQuantity(addQuantities('0', '1Gi'))).toBe('1Gi');
  });

  it('accepts negative operands', () => {
    expect(compareQuantities(addQuantities('1', '-1000m'), '0')).toBe(0);
  });
});

describe('formatCpu', () => {
  it('prints whole cores without a suffix and the rest in millicores', () => {
    expect(formatCpu(250)).toBe('250m');
    expect(formatCpu(2000)).toBe('2');
    expect(formatCpu(1500)).toBe('1500m');
    expect(formatCpu(0)).toBe('0');
    expect(formatCpu(0.2)).toBe('1m');
  });
});

describe('formatMemory', () => {
  it('uses the largest binary suffix that keeps the value exact', () => {
    expect(formatMemory(128 * 1024 ** 2)).toBe('128Mi');
    expect(formatMemory(1024 ** 3)).toBe('1Gi');
    expect(formatMemory(1536 * 1024 ** 2)).toBe('1536Mi');
    expect(formatMemory(1024)).toBe('1Ki');
    expect(formatMemory(2 * 1024 ** 4)).toBe('2Ti');
  });

  it('prints plain bytes otherwise', () => {
    expect(formatMemory(1000)).toBe('1000');
    expect(formatMemory(1e9)).toBe('1000000000');
    expect(formatMemory(0)).toBe('0');
    expect(formatMemory(1.2)).toBe('2');
  });

  it('round-trips through toBytes', () => {
    for (const bytes of [1, 1000, 4096, 1536 * 1024 ** 2, 3 * 1024 ** 3 + 1]) {
      expect(toBytes(formatMemory(bytes))).toBe(bytes);
    }
  });
});

describe('formatMemoryApprox', () => {
  it('rounds to one decimal with the largest binary suffix', async () => {
    const { formatMemoryApprox } = await import('./quantity.ts');
    expect(formatMemoryApprox(24683620 * 1024)).toBe('23.5Gi');
    expect(formatMemoryApprox(512 * 1024 * 1024)).toBe('512Mi');
    expect(formatMemoryApprox(8 * 1024 * 1024)).toBe('8Mi');
    expect(formatMemoryApprox(1000)).toBe('1000');
  });
});
