// Container resource requirements, as Kubernetes' ValidateResourceRequirements checks them.

import { fieldError, type FieldError } from './errors.ts';
import { parseQuantity, QuantityError, type Quantity } from './quantity.ts';
import { asObject } from './field-checks.ts';
import { isQualifiedName } from './name-validation.ts';

const standardContainerResources = new Set(['cpu', 'memory', 'ephemeral-storage']);

const isHugePages = (name: string): boolean => name.startsWith('hugepages-');
const isNative = (name: string): boolean => !name.includes('/') || name.includes('kubernetes.io/');
const isExtended = (name: string): boolean => !isNative(name) && !name.startsWith('requests.');
// Requests of these can't be overcommitted, so they must equal the limit.
const overcommitAllowed = (name: string): boolean => isNative(name) && !isHugePages(name);

function validateResourceName(name: string, path: string): FieldError[] {
  const errors = isQualifiedName(name).map((message) => fieldError.invalid(path, name, message));
  if (errors.length > 0) return errors;
  if (!name.includes('/')) {
    if (!standardContainerResources.has(name) && !isHugePages(name)) {
      errors.push(fieldError.invalid(path, name, 'must be a standard resource for containers'));
    }
  } else if (!isNative(name) && !isExtended(name)) {
    errors.push(fieldError.invalid(path, name, "doesn't follow extended resource name standard"));
  }
  return errors;
}

/** Parse a quantity written as a string or a bare number; report why it is bad. */
export function quantityAt(value: unknown, path: string, errors: FieldError[]): Quantity | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined; // the schema layer reports the type
  try {
    return parseQuantity(String(value));
  } catch (error) {
    if (!(error instanceof QuantityError)) throw error;
    errors.push(fieldError.invalid(path, value, error.message));
    return undefined;
  }
}

function validateQuantity(name: string, value: unknown, path: string, errors: FieldError[]): Quantity | undefined {
  const quantity = quantityAt(value, path, errors);
  if (!quantity) return undefined;
  if (quantity.nano < 0n) errors.push(fieldError.invalid(path, String(value), 'must be greater than or equal to 0'));
  if (isExtended(name) && quantity.nano % 1_000_000_000n !== 0n) {
    errors.push(fieldError.invalid(path, String(value), 'must be an integer'));
  }
  return quantity;
}

export function validateResourceRequirements(resources: unknown, path: string): FieldError[] {
  const requirements = asObject(resources);
  if (!requirements) return [];
  const errors: FieldError[] = [];
  const limits = asObject(requirements.limits) ?? {};
  const requests = asObject(requirements.requests) ?? {};
  const limitsPath = `${path}.limits`;
  const requestsPath = `${path}.requests`;

  const limitQuantities = new Map<string, Quantity>();
  for (const [name, value] of Object.entries(limits)) {
    errors.push(...validateResourceName(name, `${limitsPath}[${name}]`));
    const quantity = validateQuantity(name, value, `${limitsPath}[${name}]`, errors);
    if (quantity) limitQuantities.set(name, quantity);
  }
  for (const [name, value] of Object.entries(requests)) {
    errors.push(...validateResourceName(name, `${requestsPath}[${name}]`));
    const quantity = validateQuantity(name, value, `${requestsPath}[${name}]`, errors);
    if (!quantity) continue;
    const limit = limitQuantities.get(name);
    if (limit) {
      // Kubernetes reports these on the requests map itself, not the key.
      if (!overcommitAllowed(name) && quantity.nano !== limit.nano) {
        errors.push(fieldError.invalid(requestsPath, String(value), `must be equal to ${name} limit of ${String(limits[name])}`));
      } else if (quantity.nano > limit.nano) {
        errors.push(
          fieldError.invalid(requestsPath, String(value), `must be less than or equal to ${name} limit of ${String(limits[name])}`),
        );
      }
    } else if (!overcommitAllowed(name) && !(name in limits)) {
      errors.push(fieldError.required(limitsPath, 'Limit must be set for non overcommitable resources'));
    }
  }
  return errors;
}
