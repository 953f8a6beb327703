// apps/v1 kinds, as pkg/apis/apps/validation checks them.

import { fieldError, type FieldError } from './errors.ts';
import type { KubeObject } from './kube-object.ts';
import { asObject, goLabelSelector, immutable, invalidPrinted, nonNegative, oneOf, type Json } from './field-checks.ts';
import { isEmptySelector, selectorMatchesTemplate, validateLabelSelector } from './validate-label-selector.ts';
import { validatePodTemplateSpec } from './validate-pod-spec.ts';

function specOf(obj: KubeObject | undefined): Json {
  return asObject(obj?.spec) ?? {};
}

/** Selector present, valid, non-empty, and matching the template's labels. */
function validateSelectorAndTemplate(spec: Json, kindWord: string): FieldError[] {
  const errors: FieldError[] = [];
  if (!asObject(spec.selector)) errors.push(fieldError.required('spec.selector'));
  else {
    errors.push(...validateLabelSelector(spec.selector, 'spec.selector'));
    if (isEmptySelector(spec.selector)) {
      errors.push(invalidPrinted('spec.selector', goLabelSelector(spec.selector), `empty selector is invalid for ${kindWord}`));
    } else {
      const template = asObject(spec.template);
      errors.push(...selectorMatchesTemplate(spec.selector, asObject(template?.metadata)?.labels, 'spec.template.metadata.labels'));
    }
  }
  errors.push(...validatePodTemplateSpec(spec.template, 'spec.template'));
  return errors;
}

/** Controllers restart pods forever, so the template must say so. */
function templateRestartAlways(spec: Json, kind: string): FieldError[] {
  const podSpec = asObject(asObject(spec.template)?.spec);
  if (!podSpec) return [];
  const errors: FieldError[] = [];
  const policy = podSpec.restartPolicy;
  if (policy !== undefined && policy !== 'Always') {
    errors.push(fieldError.notSupported('spec.template.spec.restartPolicy', policy, ['Always']));
  }
  if (podSpec.activeDeadlineSeconds != null) {
    errors.push(fieldError.forbidden('spec.template.spec.activeDeadlineSeconds', `activeDeadlineSeconds in ${kind} is not Supported`));
  }
  return errors;
}

/** ValidatePositiveIntOrPercent and IsNotMoreThan100Percent. */
function intOrPercent(value: unknown, path: string, maxHundredPercent: boolean): FieldError[] {
  if (typeof value === 'number') return nonNegative(value, path);
  if (typeof value !== 'string') return [];
  if (!/^[0-9]+%$/.test(value)) return [fieldError.invalid(path, value, "must be an integer or percentage (e.g '5%')")];
  if (maxHundredPercent && Number.parseInt(value, 10) > 100) return [fieldError.invalid(path, value, 'must not be greater than 100%')];
  return [];
}

const intOrPercentValue = (value: unknown): number | undefined =>
  typeof value === 'number' ? value : typeof value === 'string' ? Number.parseInt(value, 10) : undefined;

function validateRollingUpdate(rollingUpdate: Json, path: string, zeroMessage: string): FieldError[] {
  const errors = [
    ...intOrPercent(rollingUpdate.maxUnavailable, `${path}.maxUnavailable`, true),
    ...intOrPercent(rollingUpdate.maxSurge, `${path}.maxSurge`, false),
  ];
  // Both zero would let a rollout make no progress.
  const surge = intOrPercentValue(rollingUpdate.maxSurge);
  const unavailable = intOrPercentValue(rollingUpdate.maxUnavailable);
  if (surge === 0 && unavailable === 0) errors.push(fieldError.invalid(`${path}.maxUnavailable`, rollingUpdate.maxUnavailable, zeroMessage));
  return errors;
}

export function validateDeployment(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errors = [
    ...nonNegative(spec.replicas, 'spec.replicas'),
    ...validateSelectorAndTemplate(spec, 'deployment'),
    ...templateRestartAlways(spec, 'Deployment'),
    ...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'),
    ...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'),
    ...nonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'),
  ];
  if (typeof spec.progressDeadlineSeconds === 'number' && spec.progressDeadlineSeconds <= ((spec.minReadySeconds as number) ?? 0)) {
    errors.push(fieldError.invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  }
  const strategy = asObject(spec.strategy);
  if (strategy) {
    errors.push(...oneOf(strategy.type, ['Recreate', 'RollingUpdate'], 'spec.strategy.type'));
    const rollingUpdate = asObject(strategy.rollingUpdate);
    if (strategy.type === 'Recreate' && rollingUpdate) {
      errors.push(fieldError.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
    } else if (rollingUpdate) {
      errors.push(...validateRollingUpdate(rollingUpdate, 'spec.strategy.rollingUpdate', 'may not be 0 when `maxSurge` is 0'));
    }
  }
  return errors;
}

export function validateReplicaSet(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  return [
    ...nonNegative(spec.replicas, 'spec.replicas'),
    ...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'),
    // Kubernetes says "deployment" here too.
    ...validateSelectorAndTemplate(spec, 'deployment'),
    ...templateRestartAlways(spec, 'ReplicaSet'),
  ];
}

export function validateDaemonSet(obj: KubeObject): FieldError[] {
  const spec = specOf(obj);
  const errors = [
    ...validateSelectorAndTemplate(spec, 'daemonset'),
    ...templateRestartAlways(spec, 'DaemonSet'),
    ...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'),
    ...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'),
  ];
  const strategy = asObject(spec.updateStrategy);
  if (strategy) {
    errors.push(...oneOf(strategy.type, ['OnDelete', 'RollingUpdate'], 'spec.updateStrategy.type'));
    const rollingUpdate = asObject(strategy.rollingUpdate);
    if (strategy.type === 'RollingUpdate' && rollingUpdate) {
      errors.push(...validateRollingUpdate(rollingUpdate, 'spec.updateStrategy.rollingUpdate', 'cannot be 0 when maxSurge is 0'));
    }
  }
  return errors;
}

export function validateControllerRevision(obj: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  if (obj.data === undefined || obj.data === null) errors.push(fieldError.required('data', 'data is mandatory'));
  errors.push(...nonNegative(obj.revision, 'revision'));
  return errors;
}

/** The selector of Deployments, ReplicaSets and DaemonSets is fixed at creation. */
export function validateSelectorUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const selector = specOf(obj).selector;
  return immutable(selector, specOf(old).selector, 'spec.selector', goLabelSelector(selector));
}

export function validateControllerRevisionUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  return immutable(obj.data, old.data, 'data');
}
