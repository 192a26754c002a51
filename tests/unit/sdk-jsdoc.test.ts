// The public SDK's documentation: every function, constant and class sdk/index.ts exports, every
// method of the Container handle, and the types of the handle, readiness, logs, streaming exec and
// generated units carry JSDoc with an @example (read from the sources with the TypeScript parser).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import ts from 'typescript';

const INDEX = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'sdk', 'index.ts');
const TYPES = [
  'Container',
  'ContainerRunOptions',
  'RunOptions',
  'InspectInfo',
  'ExecStreamOptions',
  'ExecProcess',
  'ExecExit',
  'LogLines',
  'LogsOptions',
  'WaitOptions',
  'WaitStrategy',
  'WaitContext',
  'HttpWaitOptions',
  'LogWaitOptions',
  'PortWaitOptions',
  'WaitExitOptions',
  'GenerateSystemdOptions',
  'SystemdUnit',
  'Paths',
];

const parsed = new Map<string, ts.SourceFile>();
const parse = (file: string) => {
  if (!parsed.has(file))
    parsed.set(file, ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true));
  return parsed.get(file)!;
};
const hasExample = (node: ts.Node) => ts.getJSDocTags(node).some((t) => t.tagName.text === 'example');

/** The top-level declarations of `name` in a file (several for overloads), a `const` as its statement. */
function declarationsOf(sf: ts.SourceFile, name: string): ts.Node[] {
  return sf.statements.filter((st) => {
    if (ts.isVariableStatement(st)) return st.declarationList.declarations.some((d) => d.name.getText() === name);
    const named = st as ts.Node & { name?: ts.Node };
    return (
      (ts.isFunctionDeclaration(st) ||
        ts.isClassDeclaration(st) ||
        ts.isInterfaceDeclaration(st) ||
        ts.isTypeAliasDeclaration(st)) &&
      named.name?.getText() === name
    );
  });
}

const moduleOf = (from: string, spec: ts.Expression) =>
  path.resolve(path.dirname(from), (spec as ts.StringLiteral).text);

/** Where `name` is declared, from the file that exports it: followed through re-exports and imports. */
function resolve(file: string, name: string): { file: string; decls: ts.Node[] } {
  const sf = parse(file);
  const decls = declarationsOf(sf, name);
  if (decls.length > 0) return { file, decls };
  for (const st of sf.statements) {
    const spec = ts.isExportDeclaration(st) || ts.isImportDeclaration(st) ? st.moduleSpecifier : undefined;
    const clause = ts.isExportDeclaration(st)
      ? st.exportClause
      : ts.isImportDeclaration(st)
        ? st.importClause?.namedBindings
        : undefined;
    if (!spec || !clause || !(ts.isNamedExports(clause) || ts.isNamedImports(clause))) continue;
    for (const el of clause.elements as ts.NodeArray<ts.ExportSpecifier | ts.ImportSpecifier>) {
      if (el.name.getText() === name) return resolve(moduleOf(file, spec), (el.propertyName ?? el.name).getText());
    }
  }
  return { file, decls: [] };
}

/** Each export of sdk/index.ts, with its declarations where they are. */
function exported(): Array<{ name: string; file: string; decls: ts.Node[] }> {
  const out: Array<{ name: string; file: string; decls: ts.Node[] }> = [];
  for (const st of parse(INDEX).statements) {
    if (!ts.isExportDeclaration(st) || !st.moduleSpecifier || !st.exportClause || !ts.isNamedExports(st.exportClause))
      continue;
    for (const el of st.exportClause.elements) {
      const local = (el.propertyName ?? el.name).getText();
      out.push({ name: el.name.getText(), ...resolve(moduleOf(INDEX, st.moduleSpecifier), local) });
    }
  }
  return out;
}

/** Each export to document (and Container method) without an @example, as `name (file)`. */
function missing(): string[] {
  const out: string[] = [];
  for (const { name, file, decls } of exported()) {
    const where = path.relative(path.dirname(INDEX), file);
    const isValue = decls.some(
      (d) => ts.isFunctionDeclaration(d) || ts.isClassDeclaration(d) || ts.isVariableStatement(d),
    );
    // Overloads: one example for the set.
    if ((isValue || TYPES.includes(name)) && !decls.some(hasExample)) out.push(`${name} (${where})`);
    if (name !== 'Container') continue;
    for (const d of decls.filter(ts.isInterfaceDeclaration))
      for (const m of d.members.filter(ts.isMethodSignature))
        if (!hasExample(m)) out.push(`Container.${m.name?.getText()} (${where})`);
  }
  return out;
}

test('every value export, Container method and handle/readiness type has an @example', () => {
  const all = exported();
  for (const e of all) assert.ok(e.decls.length > 0, `${e.name} is declared in ${e.file}`);
  for (const t of TYPES)
    assert.ok(
      all.some((e) => e.name === t),
      `sdk/index.ts exports ${t}`,
    );
  assert.equal(missing(), []);
});

test.run();
