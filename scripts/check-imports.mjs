#!/usr/bin/env node
// Layering check for `npm run check`: no import cycles among sdk/*.ts; zx only in sdk/sh.ts;
// chalk only in sdk/log.ts; no sdk module exits the process or writes to stdout (that is scripts/'s
// job); sdk never imports from scripts/ or tests/. Prints one line when all is well.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sdk = path.join(root, 'sdk');
const rel = (p) => path.relative(root, p);

function tsFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) return n === 'node_modules' ? [] : tsFiles(p);
    return /\.(ts|mts|mjs|js)$/.test(n) ? [p] : [];
  });
}

/** Every import of a file, and every `process.exit` / `console.log` / `process.stdout` it uses, from the TypeScript AST. */
function scan(file) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const line = (node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const imports = [];
  const uses = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly = ts.isImportDeclaration(node) ? Boolean(node.importClause?.isTypeOnly) : node.isTypeOnly;
      imports.push({ spec: node.moduleSpecifier.text, line: line(node), typeOnly, dynamic: false });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      imports.push({ spec: node.arguments[0].text, line: line(node), typeOnly: false, dynamic: true });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      imports.push({ spec: node.argument.literal.text, line: line(node), typeOnly: true, dynamic: false });
    } else if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
      const name = `${node.expression.text}.${node.name.text}`;
      if (name === 'process.exit' || name === 'console.log' || name === 'process.stdout') uses.push({ name, line: line(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { imports, uses };
}

const problems = [];
const sdkFiles = tsFiles(sdk).filter((f) => f.endsWith('.ts'));
const graph = new Map();
let edges = 0;

for (const file of sdkFiles) {
  const { imports, uses } = scan(file);
  const deps = [];
  for (const imp of imports) {
    const where = `${rel(file)}:${imp.line}`;
    if (imp.spec === 'zx' || imp.spec.startsWith('zx/')) {
      if (rel(file) !== 'sdk/host/sh.ts') problems.push(`${where}: imports "${imp.spec}" (only sdk/host/sh.ts may use zx)`);
    }
    if (!imp.spec.startsWith('.')) continue;
    const target = path.resolve(path.dirname(file), imp.spec);
    if (!target.startsWith(sdk + path.sep)) {
      problems.push(`${where}: imports "${imp.spec}" from outside sdk/ (the SDK must not depend on scripts/ or tests/)`);
      continue;
    }
    if (!existsSync(target)) {
      problems.push(`${where}: imports "${imp.spec}", which does not exist`);
      continue;
    }
    // Type-only imports are erased (verbatimModuleSyntax) and dynamic ones load lazily: neither forms a load-time cycle.
    if (!imp.typeOnly && !imp.dynamic) {
      deps.push(target);
      edges++;
    }
  }
  graph.set(file, deps);
  for (const u of uses) problems.push(`${rel(file)}:${u.line}: uses ${u.name} (the SDK returns data; scripts/ print and exit)`);
}

// chalk belongs to the logger, everywhere in the package.
for (const file of [...sdkFiles, ...tsFiles(path.join(root, 'scripts'))]) {
  if (rel(file) === 'sdk/log.ts') continue;
  for (const imp of scan(file).imports) {
    if (imp.spec === 'chalk' || imp.spec.startsWith('chalk/')) problems.push(`${rel(file)}:${imp.line}: imports "chalk" (only sdk/log.ts may)`);
  }
}

// Cycles: depth-first search, reporting each cycle once by its smallest rotation.
const seen = new Set();
const cycles = new Set();
function visit(file, stack) {
  const at = stack.indexOf(file);
  if (at >= 0) {
    const cyc = stack.slice(at).map(rel);
    const start = cyc.indexOf([...cyc].sort()[0]);
    cycles.add([...cyc.slice(start), ...cyc.slice(0, start), cyc[start]].join(' → '));
    return;
  }
  if (seen.has(file)) return;
  stack.push(file);
  for (const dep of graph.get(file) ?? []) visit(dep, stack);
  stack.pop();
  seen.add(file);
}
for (const file of graph.keys()) visit(file, []);
for (const c of cycles) problems.push(`import cycle: ${c}`);

if (problems.length) {
  for (const p of problems) console.error(`check-imports: ${p}`);
  console.error(`check-imports: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`check-imports: OK (${sdkFiles.length} sdk modules, ${edges} internal imports, no cycles, zx/chalk/stdout rules hold)`);
