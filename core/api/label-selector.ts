// Label selectors as Kubernetes parses and matches them (k8s.io/apimachinery/pkg/labels
// and metav1.LabelSelectorAsSelector). Pure code: the renderer imports it in the browser.

import { isValidLabelKey, isValidLabelValue } from './name-validation.ts';

/** Operator names as apimachinery's `selection.Operator` spells them. */
export type Operator = 'in' | 'notin' | 'exists' | '!' | '=' | '==' | '!=' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: Operator;
  /** Sorted and de-duplicated; empty for `exists` and `!`. */
  values: string[];
}

export interface LabelSelector {
  /** Sorted by key, like Kubernetes, so equal selectors print the same. */
  readonly requirements: readonly Requirement[];
  matches(labels: Record<string, string> | undefined | null): boolean;
  /** True for the selector that selects everything. */
  isEmpty(): boolean;
  /** kubectl form: `app=web,tier in (api,web),!canary`. */
  toString(): string;
}

/**
 * A selector the user wrote wrongly. `position` is the 0-based character offset in the
 * selector text, or -1 when the selector came from a structured object; `field` then
 * names the offending field (`matchExpressions[0].operator`).
 */
export class LabelSelectorParseError extends Error {
  constructor(
    message: string,
    readonly position: number,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'LabelSelectorParseError';
  }
}

// ---------------------------------------------------------------------------
// Requirements and selectors

function requirementMatches(requirement: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, requirement.key);
  const value = has ? labels[requirement.key] : undefined;
  switch (requirement.operator) {
    case 'in':
    case '=':
    case '==':
      return has && requirement.values.includes(value as string);
    case 'notin':
    case '!=':
      // Kubernetes: an object without the key is "not equal" to every value.
      return !has || !requirement.values.includes(value as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has || !/^[+-]?\d+$/.test(value as string)) return false;
      const actual = BigInt(value as string);
      const bound = BigInt(requirement.values[0]);
      return requirement.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

function requirementToString(requirement: Requirement): string {
  const { key, operator, values } = requirement;
  switch (operator) {
    case 'exists':
      return key;
    case '!':
      return `!${key}`;
    case 'in':
    case 'notin':
      return `${key} ${operator} (${values.join(',')})`;
    case 'gt':
      return `${key}>${values[0]}`;
    case 'lt':
      return `${key}<${values[0]}`;
    default:
      return `${key}${operator}${values[0]}`;
  }
}

function byKey(a: Requirement, b: Requirement): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

class RequirementSelector implements LabelSelector {
  readonly requirements: readonly Requirement[];

  constructor(requirements: Requirement[]) {
    this.requirements = Object.freeze([...requirements].sort(byKey));
  }

  matches(labels: Record<string, string> | undefined | null): boolean {
    const present = labels ?? {};
    return this.requirements.every((requirement) => requirementMatches(requirement, present));
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  toString(): string {
    return this.requirements.map(requirementToString).join(',');
  }
}

/** labels.Nothing(): what a null metav1.LabelSelector means. Prints as "" like Kubernetes. */
class NothingSelector implements LabelSelector {
  readonly requirements: readonly Requirement[] = Object.freeze([]);
  matches(): boolean {
    return false;
  }
  isEmpty(): boolean {
    return false;
  }
  toString(): string {
    return '';
  }
}

function uniqueSorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

// ---------------------------------------------------------------------------
// Text parser (labels.Parse)

type TokenKind =
  | 'identifier'
  | 'in'
  | 'notin'
  | '!'
  | '!='
  | '='
  | '=='
  | '>'
  | '<'
  | '('
  | ')'
  | ','
  | 'end';

interface Token {
  kind: TokenKind;
  text: string;
  position: number;
}

const specialCharacters = new Set(['=', '!', '(', ')', ',', '>', '<']);
const whitespace = new Set([' ', '\t', '\r', '\n']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (whitespace.has(ch)) {
      i++;
      continue;
    }
    if (specialCharacters.has(ch)) {
      const pair = text.slice(i, i + 2);
      if (pair === '!=' || pair === '==') {
        tokens.push({ kind: pair, text: pair, position: i });
        i += 2;
      } else {
        tokens.push({ kind: ch as TokenKind, text: ch, position: i });
        i++;
      }
      continue;
    }
    const start = i;
    while (i < text.length && !whitespace.has(text[i]) && !specialCharacters.has(text[i])) i++;
    const word = text.slice(start, i);
    // `in`/`notin` are keywords only where an operator may stand; the parser decides.
    tokens.push({ kind: 'identifier', text: word, position: start });
  }
  tokens.push({ kind: 'end', text: '', position: text.length });
  return tokens;
}

function describe(token: Token): string {
  return token.kind === 'end' ? 'end of selector' : `"${token.text}"`;
}

class SelectorParser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(text: string) {
    this.tokens = tokenize(text);
  }

  parse(): Requirement[] {
    const requirements: Requirement[] = [];
    if (this.peek().kind === 'end') return requirements;
    for (;;) {
      requirements.push(this.parseRequirement());
      const next = this.next();
      if (next.kind === 'end') return requirements;
      if (next.kind !== ',') {
        throw new LabelSelectorParseError(
          `expected "," or end of selector at position ${next.position}, found ${describe(next)}; ` +
            'separate requirements with ","',
          next.position,
        );
      }
      const after = this.peek();
      if (after.kind !== 'identifier' && after.kind !== '!') {
        throw new LabelSelectorParseError(
          `expected a label key after "," at position ${after.position}, found ${describe(after)}; ` +
            'remove the extra ","',
          after.position,
        );
      }
    }
  }

  private peek(): Token {
    return this.tokens[this.index];
  }

  private next(): Token {
    const token = this.tokens[this.index];
    if (token.kind !== 'end') this.index++;
    return token;
  }

  private parseRequirement(): Requirement {
    let token = this.next();
    const negated = token.kind === '!';
    if (negated) {
      token = this.next();
      if (token.kind !== 'identifier') {
        throw new LabelSelectorParseError(
          `expected a label key after "!" at position ${token.position}, found ${describe(token)}`,
          token.position,
        );
      }
    } else if (token.kind !== 'identifier') {
      throw new LabelSelectorParseError(
        `expected a label key or "!key" at position ${token.position}, found ${describe(token)}`,
        token.position,
      );
    }
    const key = validKey(token);

    const following = this.peek();
    if (negated) return { key, operator: '!', values: [] };
    if (following.kind === 'end' || following.kind === ',') return { key, operator: 'exists', values: [] };

    const operatorToken = this.next();
    switch (operatorToken.kind) {
      case '=':
      case '==':
      case '!=':
        return { key, operator: operatorToken.kind, values: [this.parseExactValue(key, operatorToken)] };
      case '>':
      case '<':
        return {
          key,
          operator: operatorToken.kind === '>' ? 'gt' : 'lt',
          values: [this.parseIntegerValue(key, operatorToken)],
        };
      case 'identifier':
        if (operatorToken.text === 'in' || operatorToken.text === 'notin') {
          return { key, operator: operatorToken.text, values: this.parseValueList(key, operatorToken) };
        }
        break;
    }
    throw new LabelSelectorParseError(
      `expected an operator (=, ==, !=, in, notin, >, <) after key "${key}" at position ` +
        `${operatorToken.position}, found ${describe(operatorToken)}`,
      operatorToken.position,
    );
  }

  private parseExactValue(key: string, operator: Token): string {
    const token = this.peek();
    // `a=` is legal in Kubernetes and means "a is the empty string".
    if (token.kind === 'end' || token.kind === ',') return '';
    this.next();
    if (token.kind !== 'identifier') {
      throw new LabelSelectorParseError(
        `expected a label value after "${operator.text}" at position ${token.position}, found ${describe(token)}`,
        token.position,
      );
    }
    return validValue(key, token);
  }

  private parseIntegerValue(key: string, operator: Token): string {
    const token = this.next();
    if (token.kind !== 'identifier' || !/^[+-]?\d+$/.test(token.text)) {
      throw new LabelSelectorParseError(
        `expected an integer after "${operator.text}" at position ${token.position}, found ${describe(token)}`,
        token.position,
      );
    }
    return validValue(key, token);
  }

  private parseValueList(key: string, operator: Token): string[] {
    const open = this.next();
    if (open.kind !== '(') {
      throw new LabelSelectorParseError(
        `expected "(" after "${operator.text}" at position ${open.position}, found ${describe(open)}; ` +
          `write the values as "${key} ${operator.text} (a,b)"`,
        open.position,
      );
    }
    if (this.peek().kind === ')') {
      throw new LabelSelectorParseError(
        `the value list of "${operator.text}" at position ${open.position} is empty; ` +
          `list at least one value, e.g. "${key} ${operator.text} (a)"`,
        open.position,
      );
    }
    const values: string[] = [];
    // Like Kubernetes, an empty slot between commas (`(a,)`) stands for the empty value.
    let expectValue = true;
    for (;;) {
      const token = this.next();
      if (token.kind === 'identifier' && expectValue) {
        values.push(validValue(key, token));
        expectValue = false;
      } else if (token.kind === ',') {
        if (expectValue) values.push('');
        expectValue = true;
      } else if (token.kind === ')') {
        if (expectValue) values.push('');
        return uniqueSorted(values);
      } else {
        throw new LabelSelectorParseError(
          `expected ${expectValue ? 'a label value, ' : ''}"," or ")" in the value list of "${operator.text}" ` +
            `at position ${token.position}, found ${describe(token)}` +
            (token.kind === 'end' ? '; close the list with ")"' : ''),
          token.position,
        );
      }
    }
  }
}

function validKey(token: Token): string {
  const errors = isValidLabelKey(token.text);
  if (errors.length > 0) {
    throw new LabelSelectorParseError(
      `invalid label key "${token.text}" at position ${token.position}: ${errors.join('; ')}`,
      token.position,
    );
  }
  return token.text;
}

function validValue(key: string, token: Token): string {
  const errors = isValidLabelValue(token.text);
  if (errors.length > 0) {
    throw new LabelSelectorParseError(
      `invalid label value "${token.text}" for key "${key}" at position ${token.position}: ${errors.join('; ')}`,
      token.position,
    );
  }
  return token.text;
}

/** labels.Parse: the `?labelSelector=` / `kubectl -l` syntax. Empty text selects everything. */
export function parseLabelSelector(text: string): LabelSelector {
  return new RequirementSelector(new SelectorParser(text).parse());
}

/** Convenience for one-off checks; parse once and reuse the selector in loops. */
export function matchesLabels(selectorText: string, labels: Record<string, string> | undefined | null): boolean {
  return parseLabelSelector(selectorText).matches(labels);
}

// ---------------------------------------------------------------------------
// Structured selectors (metav1.LabelSelector)

export interface LabelSelectorRequirementInput {
  key: string;
  operator: string;
  values?: string[];
}

export interface LabelSelectorInput {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirementInput[];
}

const structuredOperators: Record<string, Operator> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
};

function structuredError(field: string, message: string): LabelSelectorParseError {
  return new LabelSelectorParseError(`${field}: ${message}`, -1, field);
}

function checkedKey(field: string, key: string): string {
  const errors = isValidLabelKey(key);
  if (errors.length > 0) throw structuredError(field, `Invalid value: "${key}": ${errors.join('; ')}`);
  return key;
}

function checkedValue(field: string, value: string): string {
  const errors = isValidLabelValue(value);
  if (errors.length > 0) throw structuredError(field, `Invalid value: "${value}": ${errors.join('; ')}`);
  return value;
}

/**
 * metav1.LabelSelectorAsSelector: null/undefined selects nothing, `{}` selects everything,
 * matchLabels and matchExpressions are ANDed.
 */
export function selectorFromLabelSelector(selector: LabelSelectorInput | null | undefined): LabelSelector {
  if (selector == null) return new NothingSelector();
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    checkedKey(`matchLabels`, key);
    checkedValue(`matchLabels[${key}]`, value);
    requirements.push({ key, operator: '=', values: [value] });
  }
  (selector.matchExpressions ?? []).forEach((expression, index) => {
    const path = `matchExpressions[${index}]`;
    const operator = structuredOperators[expression.operator];
    if (!operator) {
      throw structuredError(
        `${path}.operator`,
        `"${expression.operator}" is not a valid label selector operator; use In, NotIn, Exists or DoesNotExist`,
      );
    }
    const key = checkedKey(`${path}.key`, expression.key);
    const values = expression.values ?? [];
    if ((operator === 'in' || operator === 'notin') && values.length === 0) {
      throw structuredError(
        `${path}.values`,
        `for 'in', 'notin' operators, values set can't be empty; give at least one value for ${expression.operator}`,
      );
    }
    if ((operator === 'exists' || operator === '!') && values.length > 0) {
      throw structuredError(
        `${path}.values`,
        `values set must be empty for exists and does not exist; remove the values of ${expression.operator}`,
      );
    }
    values.forEach((value, valueIndex) => checkedValue(`${path}.values[${valueIndex}]`, value));
    requirements.push({ key, operator, values: uniqueSorted(values) });
  });
  return new RequirementSelector(requirements);
}
