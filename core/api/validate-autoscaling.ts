// autoscaling/v2 HorizontalPodAutoscalers, as pkg/apis/autoscaling/validation checks them.

import { fieldError, type FieldError } from './errors.ts';
import type { KubeObject } from './kube-object.ts';
import { asArray, asObject, asString, oneOf, setKeys, type Json } from './field-checks.ts';
import { isValidPathSegmentName } from './name-validation.ts';
import { quantityAt } from './validate-resources.ts';

const METRIC_SOURCES: Record<string, string> = {
  Object: 'object',
  Pods: 'pods',
  Resource: 'resource',
  ContainerResource: 'containerResource',
  External: 'external',
};

function positiveQuantity(value: unknown, path: string, errors: FieldError[]): void {
  if (value === undefined || value === null) return;
  const quantity = quantityAt(value, path, errors);
  if (quantity && quantity.nano <= 0n) errors.push(fieldError.invalid(path, value, 'must be positive'));
}

function validateMetricTarget(targetValue: unknown, path: string): FieldError[] {
  const target = asObject(targetValue);
  if (!target) return [fieldError.required(path)];
  const errors: FieldError[] = [];
  if (!asString(target.type)) errors.push(fieldError.required(`${path}.type`, 'must specify a metric target type'));
  else errors.push(...oneOf(target.type, ['Utilization', 'Value', 'AverageValue'], `${path}.type`));
  positiveQuantity(target.value, `${path}.value`, errors);
  positiveQuantity(target.averageValue, `${path}.averageValue`, errors);
  if (typeof target.averageUtilization === 'number' && target.averageUtilization < 1) {
    errors.push(fieldError.invalid(`${path}.averageUtilization`, target.averageUtilization, 'must be greater than 0'));
  }
  const needed: Record<string, string> = { Utilization: 'averageUtilization', Value: 'value', AverageValue: 'averageValue' };
  const field = needed[String(target.type)];
  if (field && target[field] == null) errors.push(fieldError.required(`${path}.${field}`, `must be set when type is ${String(target.type)}`));
  return errors;
}

function validateMetric(metric: Json, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const type = asString(metric.type);
  if (!type) return [fieldError.required(`${path}.type`, 'must specify a metric source type')];
  const sourceField = METRIC_SOURCES[type];
  if (!sourceField) return [fieldError.notSupported(`${path}.type`, type, Object.keys(METRIC_SOURCES).sort())];
  for (const other of setKeys(metric, Object.values(METRIC_SOURCES))) {
    if (other !== sourceField) errors.push(fieldError.forbidden(`${path}.${other}`, 'must populate the given metric source only'));
  }
  const source = asObject(metric[sourceField]);
  const sourcePath = `${path}.${sourceField}`;
  if (!source) return [...errors, fieldError.required(sourcePath, 'must populate information for the given metric source')];
  if (type === 'Resource' || type === 'ContainerResource') {
    if (!asString(source.name)) errors.push(fieldError.required(`${sourcePath}.name`));
    if (type === 'ContainerResource' && !asString(source.container)) errors.push(fieldError.required(`${sourcePath}.container`));
  } else {
    const metricId = asObject(source.metric);
    if (!asString(metricId?.name)) errors.push(fieldError.required(`${sourcePath}.metric.name`, 'must specify a metric name'));
  }
  if (type === 'Object') {
    const described = asObject(source.describedObject);
    if (!asString(described?.kind)) errors.push(fieldError.required(`${sourcePath}.describedObject.kind`));
    if (!asString(described?.name)) errors.push(fieldError.required(`${sourcePath}.describedObject.name`));
  }
  errors.push(...validateMetricTarget(source.target, `${sourcePath}.target`));
  return errors;
}

function validateScalingRules(rulesValue: unknown, path: string): FieldError[] {
  const rules = asObject(rulesValue);
  if (!rules) return [];
  const errors: FieldError[] = [];
  const window = rules.stabilizationWindowSeconds;
  if (typeof window === 'number' && (window < 0 || window > 3600)) {
    errors.push(fieldError.invalid(`${path}.stabilizationWindowSeconds`, window, 'must be less than or equal to 3600 and greater than or equal to 0'));
  }
  errors.push(...oneOf(rules.selectPolicy, ['Disabled', 'Max', 'Min'], `${path}.selectPolicy`));
  asArray(rules.policies).forEach((raw, i) => {
    const policy = asObject(raw);
    if (!policy) return;
    const policyPath = `${path}.policies[${i}]`;
    errors.push(...oneOf(policy.type, ['Percent', 'Pods'], `${policyPath}.type`));
    if (typeof policy.value === 'number' && policy.value <= 0) errors.push(fieldError.invalid(`${policyPath}.value`, policy.value, 'must be greater than zero'));
    const period = policy.periodSeconds;
    if (typeof period === 'number' && (period <= 0 || period > 1800)) {
      errors.push(fieldError.invalid(`${policyPath}.periodSeconds`, period, period <= 0 ? 'must be greater than zero' : 'must be less than or equal to 1800'));
    }
  });
  return errors;
}

export function validateHorizontalPodAutoscaler(obj: KubeObject): FieldError[] {
  const spec = asObject(obj.spec) ?? {};
  const errors: FieldError[] = [];
  const target = asObject(spec.scaleTargetRef);
  if (!target) errors.push(fieldError.required('spec.scaleTargetRef'));
  else {
    const kind = asString(target.kind);
    if (!kind) errors.push(fieldError.required('spec.scaleTargetRef.kind'));
    else for (const message of isValidPathSegmentName(kind)) errors.push(fieldError.invalid('spec.scaleTargetRef.kind', kind, message));
    const name = asString(target.name);
    if (!name) errors.push(fieldError.required('spec.scaleTargetRef.name'));
    else for (const message of isValidPathSegmentName(name)) errors.push(fieldError.invalid('spec.scaleTargetRef.name', name, message));
  }
  const min = spec.minReplicas;
  if (typeof min === 'number' && min < 1) errors.push(fieldError.invalid('spec.minReplicas', min, 'must be greater than or equal to 1'));
  const max = spec.maxReplicas;
  if (typeof max === 'number') {
    if (max < 1) errors.push(fieldError.invalid('spec.maxReplicas', max, 'must be greater than 0'));
    if (typeof min === 'number' && max < min) errors.push(fieldError.invalid('spec.maxReplicas', max, 'must be greater than or equal to `minReplicas`'));
  }
  asArray(spec.metrics).forEach((raw, i) => {
    const metric = asObject(raw);
    if (metric) errors.push(...validateMetric(metric, `spec.metrics[${i}]`));
  });
  const behavior = asObject(spec.behavior);
  if (behavior) {
    errors.push(...validateScalingRules(behavior.scaleUp, 'spec.behavior.scaleUp'));
    errors.push(...validateScalingRules(behavior.scaleDown, 'spec.behavior.scaleDown'));
  }
  return errors;
}
