// batch/v1 Jobs and CronJobs, as pkg/apis/batch/validation checks them.

import { fieldError, type FieldError } from './errors.ts';
import type { KubeObject } from './kube-object.ts';
import {
  asObject,
  asString,
  goLabelSelector,
  immutable,
  invalidPrinted,
  nonNegative,
  oneOf,
  sameValue,
  type Json,
} from './field-checks.ts';
import { cronScheduleProblem } from './cron-schedule.ts';
import { selectorMatchesTemplate, validateLabelSelector } from './validate-label-selector.ts';
import { validateAnnotations, validateLabels } from './name-validation.ts';
import { validatePodTemplateSpec } from './validate-pod-spec.ts';

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

/** Checks shared by a Job's spec and a CronJob's jobTemplate.spec; `path` is where the spec sits. */
function validateJobSpecFields(spec: Json, path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished']) {
    errors.push(...nonNegative(spec[field], `${path}.${field}`));
  }
  errors.push(...oneOf(spec.completionMode, ['NonIndexed', 'Indexed'], `${path}.completionMode`));
  if (spec.completionMode === 'Indexed' && spec.completions == null) {
    errors.push(fieldError.required(`${path}.completions`, 'when completion mode is Indexed'));
  }
  errors.push(...validatePodTemplateSpec(spec.template, `${path}.template`));
  const podSpec = asObject(asObject(spec.template)?.spec);
  if (podSpec) {
    // A Job's pods must end, so they must not be restarted forever.
    const restartPath = `${path}.template.spec.restartPolicy`;
    const policy = podSpec.restartPolicy;
    if (policy === undefined || policy === null || policy === '') {
      errors.push(fieldError.required(restartPath, 'valid values: "OnFailure", "Never"'));
    } else if (policy !== 'OnFailure' && policy !== 'Never') {
      errors.push(fieldError.notSupported(restartPath, policy, ['OnFailure', 'Never']));
    }
  }
  return errors;
}

export function validateJob(obj: KubeObject): FieldError[] {
  const spec = asObject(obj.spec) ?? {};
  const errors: FieldError[] = [];
  const manual = spec.manualSelector === true;
  const uid = asString(obj.metadata?.uid);
  const selector = asObject(spec.selector);
  // Without a uid the selector has not been generated yet; defaulting adds it at create.
  if (!selector) {
    if (manual || uid) errors.push(fieldError.required('spec.selector'));
  } else {
    errors.push(...validateLabelSelector(selector, 'spec.selector'));
    const template = asObject(spec.template);
    errors.push(...selectorMatchesTemplate(selector, asObject(template?.metadata)?.labels, 'spec.template.metadata.labels'));
    if (!manual && uid && asObject(selector.matchLabels)?.[CONTROLLER_UID_LABEL] !== uid) {
      errors.push(invalidPrinted('spec.selector', goLabelSelector(selector), '`selector` not auto-generated'));
    }
  }
  errors.push(...validateJobSpecFields(spec, 'spec'));
  return errors;
}

// Fields of a suspended, never-started Job's template that may change (mutable scheduling directives).
const SCHEDULING_DIRECTIVES = ['nodeSelector', 'tolerations', 'affinity', 'schedulingGates'];

function templateWithoutSchedulingDirectives(template: unknown): unknown {
  const copy = structuredClone(asObject(template) ?? {});
  const metadata = asObject(copy.metadata);
  if (metadata) {
    delete metadata.labels;
    delete metadata.annotations;
  }
  const podSpec = asObject(copy.spec);
  if (podSpec) for (const field of SCHEDULING_DIRECTIVES) delete podSpec[field];
  return copy;
}

export function validateJobUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const spec = asObject(obj.spec) ?? {};
  const oldSpec = asObject(old.spec) ?? {};
  const errors = immutable(spec.selector, oldSpec.selector, 'spec.selector', goLabelSelector(spec.selector));
  const neverStarted = oldSpec.suspend === true && !asObject(old.status)?.startTime;
  const templateChanged = neverStarted
    ? !sameValue(templateWithoutSchedulingDirectives(spec.template), templateWithoutSchedulingDirectives(oldSpec.template))
    : !sameValue(spec.template, oldSpec.template);
  if (templateChanged) errors.push(invalidPrinted('spec.template', 'core.PodTemplateSpec{...}', 'field is immutable'));
  errors.push(...immutable(spec.completions, oldSpec.completions, 'spec.completions'));
  errors.push(...immutable(spec.completionMode, oldSpec.completionMode, 'spec.completionMode'));
  return errors;
}

/** ValidateTimeZone: an IANA zone name the runtime knows. */
function validateTimeZone(timeZone: unknown, path: string): FieldError[] {
  if (timeZone === undefined || timeZone === null) return [];
  if (typeof timeZone !== 'string') return [];
  if (timeZone === '') return [fieldError.invalid(path, timeZone, 'timeZone must be nil or non-empty string')];
  if (timeZone.toLowerCase() === 'local') {
    return [fieldError.invalid(path, timeZone, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return [];
  } catch {
    return [fieldError.invalid(path, timeZone, `unknown time zone ${timeZone}`)];
  }
}

export function validateCronJob(obj: KubeObject, old?: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const name = obj.metadata?.name;
  // The controller appends an 11-character suffix to make Job names.
  if (typeof name === 'string' && name.length > 52) errors.push(fieldError.invalid('metadata.name', name, 'must be no more than 52 characters'));
  const spec = asObject(obj.spec) ?? {};
  const schedule = asString(spec.schedule);
  if (!schedule) errors.push(fieldError.required('spec.schedule'));
  else {
    const problem = cronScheduleProblem(schedule);
    if (problem) errors.push(fieldError.invalid('spec.schedule', schedule, problem));
    const oldSchedule = asString(asObject(old?.spec)?.schedule);
    // Kept only for objects that already had it before Kubernetes forbade it.
    if (schedule.includes('TZ') && !oldSchedule?.includes('TZ')) {
      errors.push(fieldError.invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    }
  }
  errors.push(...validateTimeZone(spec.timeZone, 'spec.timeZone'));
  errors.push(...oneOf(spec.concurrencyPolicy, ['Allow', 'Forbid', 'Replace'], 'spec.concurrencyPolicy'));
  for (const field of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) {
    errors.push(...nonNegative(spec[field], `spec.${field}`));
  }
  const jobTemplate = asObject(spec.jobTemplate);
  if (!jobTemplate) {
    errors.push(fieldError.required('spec.jobTemplate'));
    return errors;
  }
  const templateMetadata = asObject(jobTemplate.metadata) ?? {};
  errors.push(...validateLabels(templateMetadata.labels, 'spec.jobTemplate.metadata.labels'));
  errors.push(...validateAnnotations(templateMetadata.annotations, 'spec.jobTemplate.metadata.annotations'));
  const jobSpec = asObject(jobTemplate.spec) ?? {};
  if (jobSpec.selector != null) {
    errors.push(invalidPrinted('spec.jobTemplate.spec.selector', goLabelSelector(jobSpec.selector), '`selector` will be auto-generated'));
  }
  if (jobSpec.manualSelector === true) {
    errors.push(fieldError.notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  }
  errors.push(...validateJobSpecFields(jobSpec, 'spec.jobTemplate.spec'));
  return errors;
}
