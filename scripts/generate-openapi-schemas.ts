// Regenerates core/api/generated/openapi-schemas.json: OpenAPI v3 schemas, with
// Kubernetes' own field descriptions, of every served kind and the types it contains.
// They are read from the kubernetes-types declarations (whose doc comments are the API's
// descriptions) with the TypeScript checker. The API server publishes them under
// /openapi/v3, which is what `kubectl explain` reads.
//
//   npx tsx scripts/generate-openapi-schemas.ts
//
// Names follow Kubernetes' (`io.k8s.api.apps.v1.Deployment`,
// `io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta`); a field of another type refers to
// it with `allOf: [{$ref}]`, as Kubernetes' own v3 documents do.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { RESOURCES, type ResourceInfo } from '../core/api/resource-catalog.ts';
import { kindsProgram, moduleOfFile, renderOneEntryPerLine } from './kubernetes-types-program.ts';

export const OPENAPI_SCHEMAS_PATH = fileURLToPath(new URL('../core/api/generated/openapi-schemas.json', import.meta.url));

export interface OpenApiSchemasData {
  /** Schema name -> schema. */
  schemas: Record<string, Record<string, unknown>>;
  /** `<apiVersion>/<kind>` -> schema name. */
  roots: Record<string, string>;
}

// kubernetes-types writes IntOrString fields as `number | string`; Kubernetes names the
// type. Like Kubernetes' own v3 documents, it and Quantity have no single `type` (they
// are oneOf two), which is why `kubectl explain` shows their names.
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const INT_OR_STRING_SCHEMA = {
  oneOf: [{ type: 'integer' }, { type: 'string' }],
  format: 'int-or-string',
  'x-kubernetes-int-or-string': true,
  description: 'IntOrString is a type that can hold an int32 or a string. When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.',
};
/** Aliases of string that Kubernetes publishes as schemas of their own, with the shape each has there. */
const NAMED_SCALARS: Record<string, Record<string, unknown>> = {
  Quantity: { oneOf: [{ type: 'string' }, { type: 'number' }] },
  Time: { type: 'string', format: 'date-time' },
  MicroTime: { type: 'string', format: 'date-time' },
};

/** kubernetes-types module (`apps/v1`, `meta/v1`, `runtime`) -> Kubernetes' schema name prefix. */
function schemaPrefix(module: string): string {
  if (module === 'meta/v1') return 'io.k8s.apimachinery.pkg.apis.meta.v1';
  if (module === 'runtime') return 'io.k8s.apimachinery.pkg.runtime';
  if (module === 'api/resource') return 'io.k8s.apimachinery.pkg.api.resource';
  return `io.k8s.api.${module.replace(/\//g, '.')}`;
}

export function generateOpenApiSchemas(resources: readonly ResourceInfo[] = RESOURCES): OpenApiSchemasData {
  const { checker, kinds } = kindsProgram(resources);
  const schemas: OpenApiSchemasData['schemas'] = {};
  const roots: OpenApiSchemasData['roots'] = {};

  const docOf = (symbol: ts.Symbol | undefined): string => (symbol ? ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() : '');

  function schemaName(declaration: ts.InterfaceDeclaration): string {
    return `${schemaPrefix(moduleOfFile(declaration.getSourceFile().fileName))}.${declaration.name.text}`;
  }

  const ref = (name: string) => ({ allOf: [{ $ref: `#/components/schemas/${name}` }] });

  /**
   * A named scalar (Quantity, Time, MicroTime) gets its own schema, as in Kubernetes. The
   * checker forgets aliases of primitives, so the declaration's type node tells.
   */
  function namedScalar(node: ts.TypeNode | undefined): Record<string, unknown> | undefined {
    if (!node || !ts.isTypeReferenceNode(node)) return undefined;
    const symbol = checker.getSymbolAtLocation(node.typeName);
    const target = symbol && symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const alias = target?.declarations?.find(ts.isTypeAliasDeclaration);
    if (!alias || !(alias.name.text in NAMED_SCALARS)) return undefined;
    const name = `${schemaPrefix(moduleOfFile(alias.getSourceFile().fileName))}.${alias.name.text}`;
    if (!(name in schemas)) {
      const description = docOf(target);
      schemas[name] = { ...NAMED_SCALARS[alias.name.text], ...(description ? { description } : {}) };
    }
    return ref(name);
  }

  /** The element or value type node of an array or map type node, to follow named scalars inside. */
  function innerNode(node: ts.TypeNode | undefined): ts.TypeNode | undefined {
    if (!node) return undefined;
    if (ts.isArrayTypeNode(node)) return node.elementType;
    if (ts.isTypeReferenceNode(node) && node.typeArguments?.length === 1) return node.typeArguments[0];
    if (ts.isTypeLiteralNode(node)) return node.members.find(ts.isIndexSignatureDeclaration)?.type;
    return undefined;
  }

  function schemaOf(type: ts.Type, where: string, node?: ts.TypeNode): Record<string, unknown> {
    type = checker.getNonNullableType(type);
    const named = namedScalar(node);
    if (named) return named;
    if (checker.isArrayType(type)) {
      return { type: 'array', items: schemaOf(checker.getTypeArguments(type as ts.TypeReference)[0], `${where}[]`, innerNode(node)) };
    }
    if (type.flags & ts.TypeFlags.Union) {
      const members = (type as ts.UnionType).types;
      const numeric = members.some((m) => m.flags & ts.TypeFlags.NumberLike);
      const textual = members.some((m) => m.flags & ts.TypeFlags.StringLike);
      if (numeric && textual) {
        schemas[INT_OR_STRING] ??= INT_OR_STRING_SCHEMA;
        return ref(INT_OR_STRING);
      }
      if (members.every((m) => m.flags & ts.TypeFlags.BooleanLike)) return { type: 'boolean' };
      if (textual && !members.some((m) => m.flags & ts.TypeFlags.Object)) return { type: 'string' };
      throw new Error(`${where}: unsupported union ${checker.typeToString(type)}`);
    }
    if (type.flags & ts.TypeFlags.StringLike) return { type: 'string' };
    if (type.flags & ts.TypeFlags.NumberLike) return { type: 'integer' };
    if (type.flags & ts.TypeFlags.BooleanLike) return { type: 'boolean' };
    if (type.flags & ts.TypeFlags.Object) {
      const properties = checker.getPropertiesOfType(type);
      const stringIndex = checker.getIndexInfoOfType(type, ts.IndexKind.String);
      if (stringIndex && properties.length === 0) return { type: 'object', additionalProperties: schemaOf(stringIndex.type, `${where}{}`, innerNode(node)) };
      if (properties.length === 0) return { type: 'object' }; // RawExtension, FieldsV1: any JSON
      const declaration = type.getSymbol()?.declarations?.find(ts.isInterfaceDeclaration);
      if (!declaration || stringIndex) throw new Error(`${where}: unsupported object type ${checker.typeToString(type)}`);
      visitInterface(declaration);
      return ref(schemaName(declaration));
    }
    return {}; // any / unknown: free-form
  }

  function visitInterface(declaration: ts.InterfaceDeclaration): void {
    const name = schemaName(declaration);
    if (name in schemas) return;
    const schema: Record<string, unknown> = { type: 'object' };
    schemas[name] = schema; // set before recursing: JSONSchemaProps-like types refer to themselves
    const description = docOf(checker.getSymbolAtLocation(declaration.name));
    if (description) schema.description = description;
    const properties: Record<string, Record<string, unknown>> = {};
    const required: string[] = [];
    const type = checker.getTypeAtLocation(declaration);
    for (const property of checker.getPropertiesOfType(type)) {
      const typeNode = property.valueDeclaration && ts.isPropertySignature(property.valueDeclaration) ? property.valueDeclaration.type : undefined;
      const field = schemaOf(checker.getTypeOfSymbolAtLocation(property, declaration), `${name}.${property.name}`, typeNode);
      const fieldDescription = docOf(property);
      properties[property.name] = fieldDescription ? { ...field, description: fieldDescription } : field;
      if (!(property.flags & ts.SymbolFlags.Optional)) required.push(property.name);
    }
    schema.properties = Object.fromEntries(Object.entries(properties).sort(([a], [b]) => a.localeCompare(b)));
    if (required.length > 0) schema.required = required.sort();
  }

  for (const { key, declaration } of kinds) {
    visitInterface(declaration);
    roots[key] = schemaName(declaration);
  }

  const sorted: OpenApiSchemasData['schemas'] = {};
  for (const name of Object.keys(schemas).sort()) sorted[name] = schemas[name];
  return { schemas: sorted, roots };
}

/** One line per schema keeps diffs readable. */
export function renderOpenApiSchemas(data: OpenApiSchemasData): string {
  return renderOneEntryPerLine({ schemas: data.schemas, roots: data.roots });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const data = generateOpenApiSchemas();
  writeFileSync(OPENAPI_SCHEMAS_PATH, renderOpenApiSchemas(data));
  console.log(`wrote ${relative(process.cwd(), OPENAPI_SCHEMAS_PATH)}: ${Object.keys(data.schemas).length} schemas, ${Object.keys(data.roots).length} kinds`);
}
