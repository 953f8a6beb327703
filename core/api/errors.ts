// One error type for everything a client can cause, shaped like apimachinery's
// StatusError: the HTTP layer turns it into a Kubernetes `Status` body, and
// clients (ours and kubectl) read `reason` and `details.causes`.

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

/** One field-level problem, as Kubernetes' field.Error reports it. */
export interface FieldError {
  /** `FieldValueRequired`, `FieldValueInvalid`, `FieldValueNotSupported`, `FieldValueDuplicate`, `FieldValueForbidden`, `FieldValueTypeInvalid`, `FieldValueTooLong` */
  type: string;
  /** Kubernetes field path: `spec.template.spec.containers[0].image` */
  field: string;
  /** Full message: `spec.template.spec.containers[0].image: Required value` */
  message: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: { reason: string; message: string; field: string }[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason | string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }

  /** Rebuild an ApiError from a Status body a server sent. */
  static fromStatus(status: Partial<Status>, fallbackCode = 500): ApiError {
    return new ApiError(
      status.code ?? fallbackCode,
      (status.reason as StatusReason) ?? 'InternalError',
      status.message ?? 'unknown error',
      status.details,
    );
  }
}

/** What a resource is, for messages: `pods`, `deployments.apps`. */
export interface ResourceRef {
  group: string;
  resource: string;
}

function qualified(ref: ResourceRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

export function notFound(ref: ResourceRef, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualified(ref)} "${name}" not found`, {
    name,
    group: ref.group,
    kind: ref.resource,
  });
}

export function alreadyExists(ref: ResourceRef, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualified(ref)} "${name}" already exists`, {
    name,
    group: ref.group,
    kind: ref.resource,
  });
}

export function conflict(ref: ResourceRef, name: string, why: string): ApiError {
  return new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(ref)} "${name}": ${why}`,
    { name, group: ref.group, kind: ref.resource },
  );
}

export function staleResourceVersion(ref: ResourceRef, name: string): ApiError {
  return conflict(
    ref,
    name,
    'the object has been modified; please apply your changes to the latest version and try again',
  );
}

export function gone(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function methodNotAllowed(message: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message);
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/merge-patch+json, application/json-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml (got "${contentType}")`);
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`);
}

/** 422 Invalid, message and causes as Kubernetes' NewInvalid builds them. */
export function invalid(kind: string, group: string, name: string, errors: FieldError[]): ApiError {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const summary =
    errors.length === 1 ? errors[0].message : `[${errors.map((e) => e.message).join(', ')}]`;
  return new ApiError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, {
    name,
    group,
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.message.slice(e.field.length + 2) || e.message, field: e.field })),
  });
}

/** Field error builders with Kubernetes' wording. */
export const fieldError = {
  required(field: string, detail = ''): FieldError {
    return { type: 'FieldValueRequired', field, message: `${field}: Required value${detail ? `: ${detail}` : ''}` };
  },
  invalid(field: string, value: unknown, detail: string): FieldError {
    return { type: 'FieldValueInvalid', field, message: `${field}: Invalid value: ${formatValue(value)}: ${detail}` };
  },
  notSupported(field: string, value: unknown, supported: string[]): FieldError {
    const list = supported.map((s) => `"${s}"`).join(', ');
    return { type: 'FieldValueNotSupported', field, message: `${field}: Unsupported value: ${formatValue(value)}: supported values: ${list}` };
  },
  duplicate(field: string, value: unknown): FieldError {
    return { type: 'FieldValueDuplicate', field, message: `${field}: Duplicate value: ${formatValue(value)}` };
  },
  forbidden(field: string, detail: string): FieldError {
    return { type: 'FieldValueForbidden', field, message: `${field}: Forbidden: ${detail}` };
  },
  typeInvalid(field: string, value: unknown, detail: string): FieldError {
    return { type: 'FieldValueTypeInvalid', field, message: `${field}: Invalid value: ${formatValue(value)}: ${detail}` };
  },
  tooLong(field: string, max: number): FieldError {
    return { type: 'FieldValueTooLong', field, message: `${field}: Too long: must have at most ${max} bytes` };
  },
};

function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'null';
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.reason === 'NotFound';
export const isAlreadyExists = (e: unknown): boolean => e instanceof ApiError && e.reason === 'AlreadyExists';
export const isConflict = (e: unknown): boolean => e instanceof ApiError && e.code === 409 && e.reason === 'Conflict';
export const isGone = (e: unknown): boolean => e instanceof ApiError && e.code === 410;
export const isUnauthorized = (e: unknown): boolean => e instanceof ApiError && e.code === 401;
export const isInvalid = (e: unknown): boolean => e instanceof ApiError && e.reason === 'Invalid';
