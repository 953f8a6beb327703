// Kubernetes resource.Quantity ("500m", "128Mi", "1.5Gi", "2e3"), held exactly as an
// integer count of nano-units so that no float rounding creeps into scheduling or quota.
// Pure code: the renderer imports it in the browser.

/** How a quantity prints, remembered from the suffix it was written with. */
export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

export interface Quantity {
  /** The value times 10^9. Kubernetes keeps precision down to nano, rounding finer values away from zero. */
  readonly nano: bigint;
  readonly format: QuantityFormat;
}

export class QuantityError extends Error {
  constructor(
    message: string,
    readonly text: string,
  ) {
    super(message);
    this.name = 'QuantityError';
  }
}

const quantityPattern = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';

const NANO_PER_UNIT = 1_000_000_000n;
const NANO_PER_MILLI = 1_000_000n;
// Kubernetes silently caps binary-suffixed quantities at 2^63-1.
const MAX_BINARY_NANO = ((1n << 63n) - 1n) * NANO_PER_UNIT;
// Bigger exponents describe no real resource and would make huge bigints.
const MAX_DECIMAL_EXPONENT = 1000;

const decimalSuffixExponents: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const binarySuffixes = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

interface Suffix {
  base: 2 | 10;
  exponent: number;
  format: QuantityFormat;
}

function interpretSuffix(suffix: string): Suffix | undefined {
  if (Object.hasOwn(decimalSuffixExponents, suffix)) {
    return { base: 10, exponent: decimalSuffixExponents[suffix], format: 'DecimalSI' };
  }
  const binaryIndex = binarySuffixes.indexOf(suffix);
  if (binaryIndex > 0) return { base: 2, exponent: binaryIndex * 10, format: 'BinarySI' };
  const exponent = /^[eE]([+-]?[0-9]+)$/.exec(suffix);
  if (exponent) return { base: 10, exponent: Number(exponent[1]), format: 'DecimalExponent' };
  return undefined;
}

const pow10Cache = new Map<number, bigint>();
function pow10(exponent: number): bigint {
  let value = pow10Cache.get(exponent);
  if (value === undefined) {
    value = 10n ** BigInt(exponent);
    if (exponent <= 64) pow10Cache.set(exponent, value);
  }
  return value;
}

/** Magnitude division rounded away from zero (inf.RoundUp, Quantity.Value). */
function divideAwayFromZero(numerator: bigint, denominator: bigint): bigint {
  const negative = numerator < 0n;
  const magnitude = negative ? -numerator : numerator;
  let quotient = magnitude / denominator;
  if (quotient * denominator !== magnitude) quotient += 1n;
  return negative ? -quotient : quotient;
}

function formatError(text: string): QuantityError {
  return new QuantityError(
    `invalid quantity "${text}": quantities must match the regular expression '${quantityPattern}' ` +
      `(e.g. "500m", "128Mi", "1.5Gi", "2e3")`,
    text,
  );
}

/** resource.ParseQuantity. Surrounding whitespace is ignored, as when Kubernetes reads JSON. */
export function parseQuantity(text: string): Quantity {
  const trimmed = text.trim();
  const match = /^([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$/.exec(trimmed);
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) throw formatError(text);
  const [, sign, whole, fraction = '', suffixText] = match;

  const suffix = interpretSuffix(suffixText);
  if (!suffix) {
    throw new QuantityError(
      `invalid quantity "${text}": unable to parse quantity's suffix "${suffixText}"; use a binary suffix ` +
        `(Ki, Mi, Gi, Ti, Pi, Ei), a decimal suffix (n, u, m, k, M, G, T, P, E) or an exponent (e3)`,
      text,
    );
  }
  if (suffix.base === 10 && suffix.exponent > MAX_DECIMAL_EXPONENT) {
    throw new QuantityError(`invalid quantity "${text}": the exponent ${suffix.exponent} is too large`, text);
  }

  let numerator = BigInt(whole + fraction || '0');
  if (sign === '-') numerator = -numerator;
  if (suffix.base === 2) numerator <<= BigInt(suffix.exponent);
  const nanoScale = 9 - fraction.length + (suffix.base === 10 ? suffix.exponent : 0);

  let nano: bigint;
  if (nanoScale >= 0) {
    nano = numerator * pow10(nanoScale);
  } else if (numerator === 0n) {
    nano = 0n;
  } else if (-nanoScale > numerator.toString().length) {
    // Finer than a nano: Kubernetes rounds any non-zero amount up to the smallest one.
    nano = numerator < 0n ? -1n : 1n;
  } else {
    nano = divideAwayFromZero(numerator, pow10(-nanoScale));
  }

  let format = suffix.format;
  if (format === 'BinarySI') {
    if (nano > MAX_BINARY_NANO) nano = MAX_BINARY_NANO;
    if (nano < -MAX_BINARY_NANO) nano = -MAX_BINARY_NANO;
    if (nano > 0n && nano < NANO_PER_UNIT) format = 'DecimalSI';
  }
  return Object.freeze({ nano, format });
}

export function isValidQuantity(text: string): boolean {
  try {
    parseQuantity(text);
    return true;
  } catch {
    return false;
  }
}

function asQuantity(value: Quantity | string): Quantity {
  return typeof value === 'string' ? parseQuantity(value) : value;
}

export function compareQuantities(a: Quantity | string, b: Quantity | string): -1 | 0 | 1 {
  const left = asQuantity(a).nano;
  const right = asQuantity(b).nano;
  return left < right ? -1 : left > right ? 1 : 0;
}

/** Quantity.Add: the sum keeps the first operand's format, unless that operand is zero. */
export function addQuantities(a: Quantity | string, b: Quantity | string): Quantity {
  const left = asQuantity(a);
  const right = asQuantity(b);
  return Object.freeze({
    nano: left.nano + right.nano,
    format: left.nano === 0n ? right.format : left.format,
  });
}

/** CPU in millicores, a fraction of a milli rounded up (Quantity.MilliValue). */
export function toMillicores(q: Quantity | string): number {
  return Number(divideAwayFromZero(asQuantity(q).nano, NANO_PER_MILLI));
}

/** Memory (or any count) in whole units, a fraction rounded up (Quantity.Value). */
export function toBytes(q: Quantity | string): number {
  return Number(divideAwayFromZero(asQuantity(q).nano, NANO_PER_UNIT));
}

function decimalSuffix(exponent: number, format: QuantityFormat): string {
  if (format === 'DecimalSI') {
    for (const [suffix, value] of Object.entries(decimalSuffixExponents)) {
      if (value === exponent) return suffix;
    }
  }
  // DecimalExponent, or DecimalSI past "E": Kubernetes falls back to "e<n>".
  return exponent === 0 ? '' : `e${exponent}`;
}

/**
 * Quantity.String's canonical form: no fractional digits, the largest suffix that keeps
 * the value exact, in the suffix family the quantity was written with
 * (`1.5Gi` -> `1536Mi`, `1.5` -> `1500m`, `1000m` -> `1`, `2e3` -> `2e3`).
 */
export function formatQuantity(q: Quantity): string {
  if (q.nano === 0n) return '0';
  const sign = q.nano < 0n ? '-' : '';
  const magnitude = q.nano < 0n ? -q.nano : q.nano;

  // Binary form only for whole values of at least 1Ki; anything else prints as decimal.
  if (q.format === 'BinarySI' && magnitude >= 1024n * NANO_PER_UNIT && magnitude % NANO_PER_UNIT === 0n) {
    let mantissa = magnitude / NANO_PER_UNIT;
    let power = 0;
    while (power < binarySuffixes.length - 1 && mantissa % 1024n === 0n) {
      mantissa /= 1024n;
      power++;
    }
    return `${sign}${mantissa}${binarySuffixes[power]}`;
  }

  let mantissa = magnitude;
  let exponent = -9;
  while (mantissa % 1000n === 0n) {
    mantissa /= 1000n;
    exponent += 3;
  }
  const format = q.format === 'BinarySI' ? 'DecimalSI' : q.format;
  return `${sign}${mantissa}${decimalSuffix(exponent, format)}`;
}

/** Millicores as Kubernetes prints CPU: `250m`, `2`, `1500m`. */
export function formatCpu(millicores: number): string {
  const whole = Math.ceil(millicores);
  if (whole % 1000 === 0) return String(whole / 1000);
  return `${whole}m`;
}

/** Bytes with the largest binary suffix that keeps them exact: `128Mi`, `1Gi`, `1536Mi`, `1000`. */
export function formatMemory(bytes: number): string {
  const whole = Math.ceil(bytes);
  if (whole === 0) return '0';
  let mantissa = whole;
  let power = 0;
  while (power < binarySuffixes.length - 1 && mantissa % 1024 === 0) {
    mantissa /= 1024;
    power++;
  }
  return `${mantissa}${binarySuffixes[power]}`;
}

/** Bytes for people to read, rounded to one decimal: `23.5Gi`, `512Mi`, `64Ki`. */
export function formatMemoryApprox(bytes: number): string {
  let value = bytes;
  let power = 0;
  while (power < binarySuffixes.length - 1 && value >= 1024) {
    value /= 1024;
    power++;
  }
  const rounded = value >= 100 || Number.isInteger(value) ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, '');
  return `${rounded}${binarySuffixes[power]}`;
}
