// Name and key checks with apimachinery's wording (k8s.io/apimachinery/pkg/util/validation
// and pkg/api/validation/objectmeta.go). Each `is*` returns the problems; [] means valid.

import { fieldError, type FieldError } from './errors.ts';

function regexError(message: string, format: string, ...examples: string[]): string {
  if (examples.length === 0) return `${message} (regex used for validation is '${format}')`;
  // Kubernetes joins examples as `'a',  or 'b', ` (double space included).
  const shown = examples.map((example) => `'${example}', `).join(' or ');
  return `${message} (e.g. ${shown}regex used for validation is '${format}')`;
}

const maxLengthError = (length: number): string => `must be no more than ${length} characters`;

const dns1123LabelFormat = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const dns1123LabelPattern = new RegExp(`^${dns1123LabelFormat}$`);
const dns1123SubdomainFormat = `${dns1123LabelFormat}(\\.${dns1123LabelFormat})*`;
const dns1123SubdomainPattern = new RegExp(`^${dns1123SubdomainFormat}$`);
const dns1035LabelFormat = '[a-z]([-a-z0-9]*[a-z0-9])?';
const dns1035LabelPattern = new RegExp(`^${dns1035LabelFormat}$`);

/** validation.IsDNS1123Label: container, volume, namespace and service port names. */
export function isDns1123Label(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push(maxLengthError(63));
  if (!dns1123LabelPattern.test(value)) {
    errors.push(
      regexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
        dns1123LabelFormat,
        'my-name',
        '123-abc',
      ),
    );
  }
  return errors;
}

/** validation.IsDNS1123Subdomain: most object names. */
export function isDns1123Subdomain(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 253) errors.push(maxLengthError(253));
  if (!dns1123SubdomainPattern.test(value)) {
    errors.push(
      regexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        dns1123SubdomainFormat,
        'example.com',
      ),
    );
  }
  return errors;
}

/** validation.IsDNS1035Label: Service names (they become DNS labels and env var prefixes). */
export function isDns1035Label(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 63) errors.push(maxLengthError(63));
  if (!dns1035LabelPattern.test(value)) {
    errors.push(
      regexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
        dns1035LabelFormat,
        'my-name',
        'abc-123',
      ),
    );
  }
  return errors;
}

/** validation.IsValidPortName (IANA_SVC_NAME): container port names, named targetPorts. */
export function isValidPortName(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 15) errors.push(maxLengthError(15));
  if (!/^[-a-z0-9]+$/.test(value)) errors.push("must contain only alpha-numerics and '-'");
  if (!/[a-z]/.test(value)) errors.push('must contain at least one letter (a-z)');
  if (value.includes('--')) errors.push('must not contain consecutive hyphens');
  if (value.startsWith('-') || value.endsWith('-')) errors.push('must not begin or end with a hyphen');
  return errors;
}

/** validation.IsConfigMapKey: keys of ConfigMap and Secret data (they become file names). */
export function isConfigMapKey(value: string): string[] {
  const errors: string[] = [];
  if (value.length > 253) errors.push(maxLengthError(253));
  if (!/^[-._a-zA-Z0-9]+$/.test(value)) {
    errors.push(
      regexError(
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
        '[-._a-zA-Z0-9]+',
        'key.name',
        'KEY_NAME',
        'key-name',
      ),
    );
  }
  if (value === '.') errors.push("must not be '.'");
  else if (value === '..') errors.push("must not be '..'");
  else if (value.startsWith('..')) errors.push("must not start with '..'");
  return errors;
}

/** validation.IsRelaxedEnvVarName (Kubernetes 1.32+ default): printable ASCII except '='. */
export function isEnvVarName(value: string): string[] {
  if (value.length > 0 && /^[\x20-\x7e]+$/.test(value) && !value.includes('=')) return [];
  return ["a valid environment variable name must consist only of printable ASCII characters other than '='"];
}

/** validation.IsQualifiedName: `[prefix/]name`, used for label keys, annotation keys, finalizers. */
export function isQualifiedName(value: string): string[] {
  return isValidLabelKey(value);
}

/** ValidatePathSegmentName: names that end up in a URL path (HPA targets, most objects). */
export function isValidPathSegmentName(value: string): string[] {
  if (value === '.' || value === '..') return [`may not be '${value}'`];
  const errors: string[] = [];
  for (const illegal of ['/', '%']) {
    if (value.includes(illegal)) errors.push(`may not contain '${illegal}'`);
  }
  return errors;
}

/** ValidateLabels: errors sit on the map's path, the key or value is the invalid value. */
export function validateLabels(labels: unknown, path: string): FieldError[] {
  if (labels == null || typeof labels !== 'object') return [];
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
    for (const message of isValidLabelKey(key)) errors.push(fieldError.invalid(path, key, message));
    if (typeof value !== 'string') continue; // the schema layer reports the type
    for (const message of isValidLabelValue(value)) errors.push(fieldError.invalid(path, value, message));
  }
  return errors;
}

/** Kubernetes' TotalAnnotationSizeLimitB. */
export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** ValidateAnnotations: qualified keys (compared lowercased) and 256 KiB of keys plus values. */
export function validateAnnotations(annotations: unknown, path: string): FieldError[] {
  if (annotations == null || typeof annotations !== 'object') return [];
  const errors: FieldError[] = [];
  let totalSize = 0;
  for (const [key, value] of Object.entries(annotations as Record<string, unknown>)) {
    for (const message of isQualifiedName(key.toLowerCase())) errors.push(fieldError.invalid(path, key, message));
    totalSize += Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : 0);
  }
  if (totalSize > TOTAL_ANNOTATION_SIZE_LIMIT) errors.push(fieldError.tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errors;
}

// Label key / value validation (apimachinery util/validation wording)

const qualifiedNameFmt = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const qualifiedNameRegexp = new RegExp(`^${qualifiedNameFmt}$`);
const qualifiedNameErrMsg =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const qualifiedNameMaxLength = 63;

const labelValueFmt = `(${qualifiedNameFmt})?`;
const labelValueRegexp = new RegExp(`^${labelValueFmt}$`);
const labelValueErrMsg =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const labelValueMaxLength = 63;

/** validation.IsQualifiedName: a label key, `[prefix/]name`. Empty array when valid. */
export function isValidLabelKey(key: string): string[] {
  const errors: string[] = [];
  const parts = key.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errors.push('prefix part must be non-empty');
    else errors.push(...isDns1123Subdomain(prefix).map((message) => `prefix part ${message}`));
  } else {
    return [
      'a qualified name ' +
        regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc') +
        " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errors.push('name part must be non-empty');
  else if (name.length > qualifiedNameMaxLength) errors.push(`name part ${maxLengthError(qualifiedNameMaxLength)}`);
  if (!qualifiedNameRegexp.test(name)) {
    errors.push('name part ' + regexError(qualifiedNameErrMsg, qualifiedNameFmt, 'MyName', 'my.name', '123-abc'));
  }
  return errors;
}

/** validation.IsValidLabelValue. Empty array when valid. */
export function isValidLabelValue(value: string): string[] {
  const errors: string[] = [];
  if (value.length > labelValueMaxLength) errors.push(maxLengthError(labelValueMaxLength));
  if (!labelValueRegexp.test(value)) {
    errors.push(regexError(labelValueErrMsg, labelValueFmt, 'MyValue', 'my_value', '12345'));
  }
  return errors;
}
