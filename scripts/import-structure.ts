/**
 * The import rules `npm run lint` enforces beyond eslint's per-file view:
 * packages meet only through each other's root (`@pra-pipeline/<name>`, never
 * a file inside it), and no import circle exists, inside a package or across.
 * Test files are held to the package rule too; their own imports may not form
 * circles either.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

export interface ImportProblem {
  kind: 'deep-import' | 'cycle';
  message: string;
}

const SKIP = new Set(['node_modules', 'dist', '.infra', 'data', 'test-logs', '.git', '.venv-consumers', 'deploy']);

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (/\.(ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Workspace package name -> its root entry (src/index.ts). */
function workspacePackages(root: string): Map<string, string> {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces?: string[] };
  const packages = new Map<string, string>();
  for (const folder of manifest.workspaces ?? []) {
    const own = JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')) as { name: string };
    packages.set(own.name, join(root, folder, 'src', 'index.ts'));
  }
  return packages;
}

/** The file a relative specifier names (`./x.js` is `./x.ts` in source). */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // try the next form
    }
  }
  return undefined;
}

/** Finds deep cross-package imports and import circles under `root`. */
export function checkImports(root: string): ImportProblem[] {
  const packages = workspacePackages(root);
  const problems: ImportProblem[] = [];
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(root)) {
    const edges: string[] = [];
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: specifier } of info.importedFiles) {
      const scoped = /^(@pra-pipeline\/[^/]+)(\/.+)?$/.exec(specifier);
      if (scoped) {
        const entry = packages.get(scoped[1]!);
        if (scoped[2]) {
          problems.push({ kind: 'deep-import', message: `${relative(root, file)} imports ${specifier}: import from ${scoped[1]} (its index.ts) instead` });
        } else if (entry) {
          edges.push(entry);
        }
      } else if (specifier.startsWith('.')) {
        const target = resolveRelative(file, specifier);
        if (target) edges.push(target);
      }
    }
    graph.set(file, edges);
  }
  for (const circle of circles(graph)) {
    problems.push({ kind: 'cycle', message: `import circle: ${[...circle, circle[0]!].map((f) => relative(root, f).split(sep).join('/')).join(' -> ')}` });
  }
  return problems;
}

/** The strongly connected components of more than one file (or a file importing itself), by Tarjan's algorithm. */
function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    indices.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indices.get(next)!));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.reverse());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const problems = checkImports(process.cwd());
  for (const p of problems) console.error(`${p.kind}: ${p.message}`);
  if (problems.length > 0) {
    console.error(`${problems.length} import problem(s).`);
    process.exit(1);
  }
  console.log('Imports: no deep import across packages, no import circle.');
}
