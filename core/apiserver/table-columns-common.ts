// Shared pieces of the per-kind printers: the column and printer shapes, and the
// small formatters Kubernetes' printers.go uses (labels, selectors, containers).

import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { Container } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../api/kube-object.ts';
import { translateTimestampSince } from '../api/age.ts';

/** meta.k8s.io/v1 TableColumnDefinition. */
export interface TableColumnDefinition {
  name: string;
  /** OpenAPI type: string, integer, number, boolean, date. */
  type: string;
  /** `name` marks the column holding the object's name. */
  format: string;
  description: string;
  /** 0 always shown; 1 only with `-o wide`. */
  priority: number;
}

/** meta.k8s.io/v1 TableRowCondition (pods set `Completed` when they have finished). */
export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/**
 * How one kind prints. `cells` always returns the wide cells too, in column order:
 * like the real API server, which generates tables with Wide=true and lets kubectl
 * hide priority-1 columns.
 */
export interface KindPrinter {
  columns: TableColumnDefinition[];
  cells(obj: KubeObject, now: Date): unknown[];
  conditions?(obj: KubeObject): TableRowCondition[] | undefined;
}

export function column(
  name: string,
  type: string,
  description: string,
  extra: { format?: string; priority?: number } = {},
): TableColumnDefinition {
  return { name, type, format: extra.format ?? '', description, priority: extra.priority ?? 0 };
}

export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.';
export const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. Represented in RFC3339 form and is in UTC.';

export const nameColumn = (): TableColumnDefinition => column('Name', 'string', NAME_DESCRIPTION, { format: 'name' });
export const ageColumn = (): TableColumnDefinition => column('Age', 'string', AGE_DESCRIPTION);
export const wide = (name: string, description: string): TableColumnDefinition =>
  column(name, 'string', description, { priority: 1 });

/** The three wide columns of every pod-template owner. */
export const containersColumn = (): TableColumnDefinition =>
  wide('Containers', 'Names of each container in the template.');
export const imagesColumn = (): TableColumnDefinition =>
  wide('Images', 'Images referenced by each container in the template.');

export function ageOf(obj: KubeObject, now: Date): string {
  return translateTimestampSince(obj.metadata.creationTimestamp, now);
}

/** `layoutContainerCells`: names and images joined with commas. */
export function containerCells(containers: Container[] | undefined): [names: string, images: string] {
  const list = containers ?? [];
  return [list.map((c) => c.name).join(','), list.map((c) => c.image ?? '').join(',')];
}

/** `labels.FormatLabels`: `a=b,c=d` sorted by key, `<none>` when empty. */
export function formatLabels(labels: Record<string, string> | undefined | null): string {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${labels![k]}`).join(',');
}

/**
 * `metav1.LabelSelectorAsSelector(s).String()`: requirements sorted by key, set values
 * sorted; `''` for a nil or empty selector; undefined when the selector is invalid.
 */
export function labelSelectorString(selector: LabelSelector | undefined | null): string | undefined {
  if (!selector) return '';
  const requirements: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    requirements.push({ key, text: `${key}=${value}` });
  }
  for (const expression of selector.matchExpressions ?? []) {
    const key = expression.key;
    const values = [...new Set(expression.values ?? [])].sort();
    switch (expression.operator) {
      case 'In':
        if (values.length === 0) return undefined;
        requirements.push({ key, text: `${key} in (${values.join(',')})` });
        break;
      case 'NotIn':
        if (values.length === 0) return undefined;
        requirements.push({ key, text: `${key} notin (${values.join(',')})` });
        break;
      case 'Exists':
        if (values.length > 0) return undefined;
        requirements.push({ key, text: key });
        break;
      case 'DoesNotExist':
        if (values.length > 0) return undefined;
        requirements.push({ key, text: `!${key}` });
        break;
      default:
        return undefined;
    }
  }
  // Go sorts with sort.Sort by key, which is not stable; equal keys keep insertion order here.
  requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return requirements.map((r) => r.text).join(',');
}

/** `metav1.FormatLabelSelector`: like labelSelectorString but `<none>` when empty and `<error>` when invalid. */
export function formatLabelSelector(selector: LabelSelector | undefined | null): string {
  const text = labelSelectorString(selector);
  if (text === undefined) return '<error>';
  return text === '' ? '<none>' : text;
}

/** `printBoolPtr`: `True`, `False` or `<unset>`. */
export function formatBoolPointer(value: boolean | undefined | null): string {
  if (value === undefined || value === null) return '<unset>';
  return value ? 'True' : 'False';
}

/** `net.JoinHostPort`: brackets around IPv6 hosts. */
export function joinHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** `listWithMoreString` and friends: at most `max` items, then `+ N more...`. */
export function listWithMore(items: string[], max: number, empty: string): string {
  if (items.length === 0) return empty;
  const shown = items.slice(0, max).join(',');
  return items.length > max ? `${shown} + ${items.length - max} more...` : shown;
}
