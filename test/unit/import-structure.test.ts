import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkImports } from '../../scripts/import-structure.js';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'imports-'));
  const all = {
    'package.json': JSON.stringify({ workspaces: ['pkgs/a', 'pkgs/b'] }),
    'pkgs/a/package.json': JSON.stringify({ name: '@pra-pipeline/a' }),
    'pkgs/b/package.json': JSON.stringify({ name: '@pra-pipeline/b' }),
    'pkgs/a/src/index.ts': "export { one } from './one.js';\n",
    'pkgs/a/src/one.ts': 'export const one = 1;\n',
    'pkgs/b/src/index.ts': "import { one } from '@pra-pipeline/a';\nexport const two = one + 1;\n",
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

test('a tree whose packages meet through their roots, with no circle, passes', () => {
  const root = tree({});
  try {
    assert.deepEqual(checkImports(root), []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an import of a file inside another package fails, naming the file and the root to use', () => {
  const root = tree({ 'pkgs/b/src/deep.ts': "import { one } from '@pra-pipeline/a/one';\nexport const x = one;\n" });
  try {
    const problems = checkImports(root);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.kind, 'deep-import');
    assert.match(problems[0]!.message, /pkgs\/b\/src\/deep\.ts imports @pra-pipeline\/a\/one: import from @pra-pipeline\/a/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an import circle fails, inside a package and across packages through their roots', () => {
  const root = tree({
    'pkgs/a/src/x.ts': "import { y } from './y.js';\nexport const x = () => y;\n",
    'pkgs/a/src/y.ts': "import type { x } from './x.js';\nexport const y: typeof x | undefined = undefined;\n",
    // a -> b -> a through the package roots
    'pkgs/a/src/index.ts': "export { one } from './one.js';\nexport { two } from '@pra-pipeline/b';\n",
  });
  try {
    const circles = checkImports(root).filter((p) => p.kind === 'cycle').map((p) => p.message);
    assert.equal(circles.length, 2, circles.join('\n'));
    assert.ok(circles.some((c) => c.includes('pkgs/a/src/x.ts') && c.includes('pkgs/a/src/y.ts')), circles.join('\n'));
    assert.ok(circles.some((c) => c.includes('pkgs/a/src/index.ts') && c.includes('pkgs/b/src/index.ts')), circles.join('\n'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('this repository has no deep import across packages and no import circle', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  assert.deepEqual(checkImports(root), []);
});
