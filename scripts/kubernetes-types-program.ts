// What the generators in scripts/ share: the kubernetes-types declarations of the served
// kinds, loaded into one TypeScript program, and the one-line-per-entry JSON they write.
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { apiVersionOf, type ResourceInfo } from '../core/api/resource-catalog.ts';

const typesRoot = dirname(createRequire(import.meta.url).resolve('kubernetes-types/package.json'));

/** `apps` -> apps/v1, `storage.k8s.io` -> storage/v1, core group -> core/v1. */
function moduleOf(info: ResourceInfo): string {
  const groupDir = info.group ? info.group.split('.')[0] : 'core';
  return `${groupDir}/${info.version}`;
}

/** `.../kubernetes-types/apps/v1.d.ts` -> `apps/v1`. */
export function moduleOfFile(fileName: string): string {
  return relative(typesRoot, fileName).replace(/\\/g, '/').replace(/\.d\.ts$/, '');
}

/** The checker over the kinds' declaration files, and each kind's interface (`apps/v1/Deployment`). */
export function kindsProgram(resources: readonly ResourceInfo[]): {
  checker: ts.TypeChecker;
  kinds: { key: string; info: ResourceInfo; declaration: ts.InterfaceDeclaration }[];
} {
  const rootFiles = [...new Set(resources.map((r) => join(typesRoot, `${moduleOf(r)}.d.ts`)))];
  const program = ts.createProgram(rootFiles, { strict: true, noEmit: true, types: [] });
  const kinds = resources.map((info) => {
    const fileName = join(typesRoot, `${moduleOf(info)}.d.ts`);
    const declaration = program
      .getSourceFile(fileName)
      ?.statements.filter(ts.isInterfaceDeclaration)
      .find((statement) => statement.name.text === info.kind);
    if (!declaration) throw new Error(`${apiVersionOf(info)} ${info.kind}: no interface ${info.kind} in ${fileName}`);
    return { key: `${apiVersionOf(info)}/${info.kind}`, info, declaration };
  });
  return { checker: program.getTypeChecker(), kinds };
}

/** `{ "<section>": { "<key>": <value>, ... }, ... }` with one entry per line: small diffs. */
export function renderOneEntryPerLine(sections: Record<string, Record<string, unknown>>): string {
  const rendered = Object.entries(sections).map(([section, entries]) => {
    const lines = Object.entries(entries).map(([key, value]) => `    ${JSON.stringify(key)}: ${JSON.stringify(value)}`);
    return `  ${JSON.stringify(section)}: {\n${lines.join(',\n')}\n  }`;
  });
  return `{\n${rendered.join(',\n')}\n}\n`;
}
