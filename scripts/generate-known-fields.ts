// Regenerates core/api/generated/known-fields.json: the field names each served kind
// accepts, read from the kubernetes-types declarations with the TypeScript checker, so
// the API server can report unknown fields (kubectl's fieldValidation=Strict/Warn).
//
//   npx tsx scripts/generate-known-fields.ts
//
// The data is a map of types, `"<module>#<Interface>": { "<field>": "<ref>" }`, plus
// `roots`, `"<apiVersion>/<kind>": "<module>#<Interface>"`. A ref is another type
// (`"core/v1#Container"`), an array (`"[]<ref>"`), a string-keyed map (`"{}<ref>"`),
// or `"*"` for anything whose inside is never checked (scalars, unions, RawExtension).
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import type { KnownFieldsData } from '../core/api/known-fields.ts';
import { RESOURCES, type ResourceInfo } from '../core/api/resource-catalog.ts';
import { kindsProgram, moduleOfFile, renderOneEntryPerLine } from './kubernetes-types-program.ts';

export const KNOWN_FIELDS_PATH = fileURLToPath(new URL('../core/api/generated/known-fields.json', import.meta.url));

const FREE_FORM = '*';

export function generateKnownFields(resources: readonly ResourceInfo[] = RESOURCES): KnownFieldsData {
  const { checker, kinds } = kindsProgram(resources);
  const types: KnownFieldsData['types'] = {};
  const roots: KnownFieldsData['roots'] = {};

  function interfaceRef(declaration: ts.InterfaceDeclaration): string {
    return `${moduleOfFile(declaration.getSourceFile().fileName)}#${declaration.name.text}`;
  }

  function refOf(type: ts.Type, where: string): string {
    type = checker.getNonNullableType(type);
    if (checker.isArrayType(type)) {
      const element = checker.getTypeArguments(type as ts.TypeReference)[0];
      return `[]${refOf(element, `${where}[]`)}`;
    }
    if (type.flags & ts.TypeFlags.Object) {
      const properties = checker.getPropertiesOfType(type);
      const stringIndex = checker.getIndexInfoOfType(type, ts.IndexKind.String);
      if (stringIndex && properties.length === 0) return `{}${refOf(stringIndex.type, `${where}{}`)}`;
      const declaration = type.getSymbol()?.declarations?.find(ts.isInterfaceDeclaration);
      if (properties.length === 0) return FREE_FORM; // RawExtension, FieldsV1: opaque JSON
      if (!declaration || stringIndex) throw new Error(`${where}: unsupported object type ${checker.typeToString(type)}`);
      visitInterface(declaration);
      return interfaceRef(declaration);
    }
    if (type.flags & ts.TypeFlags.Union) {
      const members = (type as ts.UnionType).types;
      if (members.some((m) => m.flags & ts.TypeFlags.Object)) {
        throw new Error(`${where}: unsupported union ${checker.typeToString(type)}`);
      }
    }
    return FREE_FORM; // string, number, boolean, literal unions (IntOrString), any, unknown
  }

  function visitInterface(declaration: ts.InterfaceDeclaration): void {
    const ref = interfaceRef(declaration);
    if (ref in types) return;
    const fields: Record<string, string> = {};
    types[ref] = fields; // set before recursing: JSONSchemaProps-like types refer to themselves
    const type = checker.getTypeAtLocation(declaration);
    for (const property of checker.getPropertiesOfType(type)) {
      const propertyType = checker.getTypeOfSymbolAtLocation(property, declaration);
      fields[property.name] = refOf(propertyType, `${ref}.${property.name}`);
    }
  }

  for (const { key, declaration } of kinds) {
    visitInterface(declaration);
    roots[key] = interfaceRef(declaration);
  }

  const sortedTypes: KnownFieldsData['types'] = {};
  for (const ref of Object.keys(types).sort()) sortedTypes[ref] = types[ref];
  return { types: sortedTypes, roots };
}

/** One line per type keeps the file small and its diffs readable. */
export function renderKnownFields(data: KnownFieldsData): string {
  return renderOneEntryPerLine({ types: data.types, roots: data.roots });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const data = generateKnownFields();
  writeFileSync(KNOWN_FIELDS_PATH, renderKnownFields(data));
  console.log(`wrote ${relative(process.cwd(), KNOWN_FIELDS_PATH)}: ${Object.keys(data.types).length} types, ${Object.keys(data.roots).length} kinds`);
}
