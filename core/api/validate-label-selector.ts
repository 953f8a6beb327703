// metav1.LabelSelector checks (ValidateLabelSelector) and the workload rule that a
// controller's selector must select the pods its template makes.

import { fieldError, type FieldError } from './errors.ts';
import { asArray, asObject, asString, goStringMap, invalidPrinted } from './field-checks.ts';
import { LabelSelectorParseError, selectorFromLabelSelector, type LabelSelectorInput } from './label-selector.ts';
import { isQualifiedName, validateLabels } from './name-validation.ts';

export function validateLabelSelector(selectorValue: unknown, path: string): FieldError[] {
  const selector = asObject(selectorValue);
  if (!selector) return [];
  const errors = validateLabels(selector.matchLabels, `${path}.matchLabels`);
  asArray(selector.matchExpressions).forEach((raw, i) => {
    const expression = asObject(raw);
    if (!expression) return;
    const expressionPath = `${path}.matchExpressions[${i}]`;
    const values = asArray(expression.values);
    switch (expression.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) errors.push(fieldError.required(`${expressionPath}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) errors.push(fieldError.forbidden(`${expressionPath}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        errors.push(fieldError.invalid(`${expressionPath}.operator`, expression.operator ?? '', 'not a valid selector operator'));
    }
    const keyValue = asString(expression.key) ?? '';
    for (const message of isQualifiedName(keyValue)) errors.push(fieldError.invalid(`${expressionPath}.key`, keyValue, message));
  });
  return errors;
}

export function isEmptySelector(selectorValue: unknown): boolean {
  const selector = asObject(selectorValue);
  return Object.keys(asObject(selector?.matchLabels) ?? {}).length + asArray(selector?.matchExpressions).length === 0;
}

/**
 * `spec.template.metadata.labels: Invalid value: map[string]string{...}: `selector` does not
 * match template `labels``. A selector that does not parse is reported by validateLabelSelector.
 */
export function selectorMatchesTemplate(selectorValue: unknown, templateLabels: unknown, labelsPath: string): FieldError[] {
  if (!asObject(selectorValue)) return [];
  let matches: boolean;
  try {
    matches = selectorFromLabelSelector(selectorValue as LabelSelectorInput).matches(
      (asObject(templateLabels) ?? {}) as Record<string, string>,
    );
  } catch (error) {
    if (error instanceof LabelSelectorParseError) return [];
    throw error;
  }
  return matches ? [] : [invalidPrinted(labelsPath, goStringMap(templateLabels), '`selector` does not match template `labels`')];
}
