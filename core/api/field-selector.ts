// Field selectors as the API server accepts them (k8s.io/apimachinery/pkg/fields plus
// each kind's selectable fields). Pure code: the renderer imports it in the browser.

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  matches(obj: object): boolean;
  /** True for the selector that selects everything. */
  isEmpty(): boolean;
  /** `metadata.name=web,status.phase!=Running` */
  toString(): string;
}

export class FieldSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldSelectorError';
  }
}

const commonFields = ['metadata.name', 'metadata.namespace'] as const;

const extraFieldsByKind: Record<string, readonly string[]> = {
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  Event: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  Secret: ['type'],
  Node: ['spec.unschedulable'],
  Namespace: ['status.phase'],
  Job: ['status.successful'],
  ReplicaSet: ['status.replicas'],
};

const supportedFieldsCache = new Map<string, readonly string[]>();

/** The field labels the API server accepts in `fieldSelector` for a kind (`Pod`, `Event`...). */
export function supportedFieldsFor(kind: string): readonly string[] {
  let fields = supportedFieldsCache.get(kind);
  if (!fields) {
    fields = Object.freeze([...commonFields, ...(extraFieldsByKind[kind] ?? [])]);
    supportedFieldsCache.set(kind, fields);
  }
  return fields;
}

function readPath(obj: object, path: string): unknown {
  let current: unknown = obj;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function asFieldText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return '';
}

// Field labels whose value is not simply the object at that path; these mirror each
// kind's ToSelectableFields in Kubernetes (Go zero values where a field is unset).
const computedFields: Record<string, (obj: object) => string> = {
  'spec.unschedulable': (obj) => String(readPath(obj, 'spec.unschedulable') === true),
  'spec.hostNetwork': (obj) => String(readPath(obj, 'spec.hostNetwork') === true),
  'status.successful': (obj) => asFieldText(readPath(obj, 'status.succeeded') ?? 0),
  'status.replicas': (obj) => asFieldText(readPath(obj, 'status.replicas') ?? 0),
  source: (obj) => asFieldText(readPath(obj, 'source.component')),
  reportingComponent: (obj) => asFieldText(readPath(obj, 'reportingController') ?? readPath(obj, 'reportingComponent')),
};

/** The text a field selector compares for `field` on `obj`; a missing value reads as ''. */
export function readSelectableField(obj: object, field: string): string {
  const computed = computedFields[field];
  return computed ? computed(obj) : asFieldText(readPath(obj, field));
}

class RequirementFieldSelector implements FieldSelector {
  readonly requirements: readonly FieldRequirement[];

  constructor(requirements: FieldRequirement[]) {
    this.requirements = Object.freeze(requirements);
  }

  matches(obj: object): boolean {
    return this.requirements.every((requirement) => {
      const equal = readSelectableField(obj, requirement.field) === requirement.value;
      return requirement.operator === '=' ? equal : !equal;
    });
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${r.value}`).join(',');
  }
}

// Order matters: `!=` and `==` must win over `=` at the same position.
const termOperators = ['!=', '==', '='] as const;

function splitTerm(term: string): FieldRequirement | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const operator of termOperators) {
      if (term.startsWith(operator, i)) {
        return {
          field: term.slice(0, i).trim(),
          operator: operator === '!=' ? '!=' : '=',
          value: term.slice(i + operator.length).trim(),
        };
      }
    }
  }
  return undefined;
}

/**
 * fields.ParseSelector plus the API server's check of field labels: `a=b`, `a==b`,
 * `a!=b`, comma-separated; empty text selects everything.
 */
export function parseFieldSelector(text: string, supportedFields: readonly string[]): FieldSelector {
  const requirements: FieldRequirement[] = [];
  for (const term of text.split(',')) {
    if (term.trim() === '') continue;
    const requirement = splitTerm(term);
    if (!requirement) {
      throw new FieldSelectorError(
        `invalid selector: '${text}'; can't understand '${term}'; write each term as field=value or field!=value`,
      );
    }
    if (!supportedFields.includes(requirement.field)) {
      throw new FieldSelectorError(`field label not supported: ${requirement.field}`);
    }
    requirements.push(requirement);
  }
  return new RequirementFieldSelector(requirements);
}
