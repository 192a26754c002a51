#!/usr/bin/env node
// Layering check for `npm run check`. Rules:
// - no import cycles among sdk modules; sdk never imports from scripts/ or tests/;
// - zx only in sdk/host/sh.ts, chalk only in sdk/log.ts, globby only in sdk/image/copy-stage.ts;
// - pure planners (see PURE) import no node:fs, node:child_process, sdk/host/ or sdk/state/, and never read
//   process.env (they take env as a parameter);
// - sdk/network/ and sdk/image/ never import sdk/container/;
// - scripts/, stacks/ and tests/integration/ import the SDK only through sdk/index.ts;
// - no sdk module exits the process or writes to stdout (that is scripts/'s job).
// Prints one line when all is well.
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

/**
 * Every import of a file, and every `process.exit` / `console.log` / `process.stdout` it uses, from
 * the TypeScript AST.
 */
function scan(file) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const line = (node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const imports = [];
  const uses = [];
  const visit = (node) => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const typeOnly = ts.isImportDeclaration(node) ? Boolean(node.importClause?.isTypeOnly) : node.isTypeOnly;
      imports.push({ spec: node.moduleSpecifier.text, line: line(node), typeOnly, dynamic: false });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      imports.push({ spec: node.arguments[0].text, line: line(node), typeOnly: false, dynamic: true });
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      imports.push({ spec: node.argument.literal.text, line: line(node), typeOnly: true, dynamic: false });
    } else if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
      const name = `${node.expression.text}.${node.name.text}`;
      if (['process.exit', 'console.log', 'process.stdout', 'process.env'].includes(name))
        uses.push({ name, line: line(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { imports, uses };
}

const problems = [];
/** Pure planners: data in, data out. Matched on the path below sdk/; each entry is a regex fragment. */
const PURE_NAMES = [
  'names',
  'plan',
  'read-back',
  'stack/(define|order|env-template|kube-objects|render-kube|render-podman|yaml)',
  '[a-z-]+-plan',
  'parse',
  'layout',
  'pool',
  'ports',
  'firewall',
  'describe',
  'conductorfile[a-z-]*',
  'copy-rules',
  'substitution',
  'image-config',
  'stop-signal',
  'device-rules',
  'capabilities',
  'seccomp/rules',
  'seccomp/docker-gates',
  'logs/since',
];
const PURE = new RegExp(`(^|/)(${PURE_NAMES.join('|')})\\.ts$`);
const FORBIDDEN_IN_PURE = new Set(['node:fs', 'fs', 'node:fs/promises', 'node:child_process', 'child_process']);
const PACKAGE_ONLY = { zx: 'sdk/host/sh.ts', chalk: 'sdk/log.ts', globby: 'sdk/image/copy-stage.ts' };
const inSdk = (p) => path.relative(sdk, p).split(path.sep).join('/');
const sdkFiles = tsFiles(sdk).filter((f) => f.endsWith('.ts'));
const graph = new Map();
let edges = 0;

for (const file of sdkFiles) {
  const { imports, uses } = scan(file);
  const deps = [];
  for (const imp of imports) {
    const where = `${rel(file)}:${imp.line}`;
    const pure = PURE.test(inSdk(file));
    if (pure && FORBIDDEN_IN_PURE.has(imp.spec))
      problems.push(`${where}: pure planner imports "${imp.spec}" (take data as parameters)`);
    if (!imp.spec.startsWith('.')) continue;
    const target = path.resolve(path.dirname(file), imp.spec);
    if (!target.startsWith(sdk + path.sep)) {
      problems.push(
        `${where}: imports "${imp.spec}" from outside sdk/ (the SDK must not depend on scripts/ or tests/)`,
      );
      continue;
    }
    if (!existsSync(target)) {
      problems.push(`${where}: imports "${imp.spec}", which does not exist`);
      continue;
    }
    const to = inSdk(target);
    if (pure && !imp.typeOnly && /^(host|state)\//.test(to))
      problems.push(`${where}: pure planner imports ${to} (take data as parameters)`);
    if (/^(network|image)\//.test(inSdk(file)) && to.startsWith('container/'))
      problems.push(
        `${where}: ${inSdk(file).split('/')[0]}/ imports ${to} (lifecycle verbs sit above networks and images)`,
      );
    // Type-only imports are erased (verbatimModuleSyntax) and dynamic ones load lazily: neither
    // forms a load-time cycle.
    if (!imp.typeOnly && !imp.dynamic) {
      deps.push(target);
      edges++;
    }
  }
  graph.set(file, deps);
  for (const u of uses) {
    if (u.name === 'process.env') {
      if (PURE.test(inSdk(file)))
        problems.push(`${rel(file)}:${u.line}: pure planner reads process.env (take env as a parameter)`);
    } else problems.push(`${rel(file)}:${u.line}: uses ${u.name} (the SDK returns data; scripts/ print and exit)`);
  }
}

// Third-party packages with one home each, everywhere in the package.
const scriptFiles = tsFiles(path.join(root, 'scripts'));
for (const file of [...sdkFiles, ...scriptFiles]) {
  for (const imp of scan(file).imports) {
    const pkg = imp.spec.split('/')[0];
    const home = PACKAGE_ONLY[pkg];
    if (home && rel(file) !== home) problems.push(`${rel(file)}:${imp.line}: imports "${imp.spec}" (only ${home} may)`);
  }
}

// Outside the SDK, scripts and integration tests see only its public surface.
const index = path.join(sdk, 'index.ts');
// scripts/gen-*.ts are maintainer tools that regenerate the SDK's data files from its internals.
for (const file of [
  ...scriptFiles.filter((f) => !/\/gen-[^/]+$/.test(f)),
  ...tsFiles(path.join(root, 'tests', 'integration')),
  ...tsFiles(path.join(root, 'stacks')),
]) {
  for (const imp of scan(file).imports) {
    if (!imp.spec.startsWith('.')) continue;
    const target = path.resolve(path.dirname(file), imp.spec);
    if (target.startsWith(sdk + path.sep) && target !== index)
      problems.push(`${rel(file)}:${imp.line}: imports ${rel(target)} (import the SDK through sdk/index.ts)`);
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
console.log(
  `check-imports: OK (${sdkFiles.length} sdk modules, ${edges} internal imports, no cycles; ` +
    'package homes, pure planners, layers and the public surface hold)',
);
