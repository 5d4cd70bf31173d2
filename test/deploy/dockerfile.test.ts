/**
 * The Dockerfile, read as text (no Docker engine here): one image for every
 * command, production dependencies only, non-root, health check, OCI labels,
 * and every workspace of package.json copied in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './tools.js';

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
/** Instructions with continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const stages = (() => {
  const out = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of instructions) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      current = [];
      out.set(from[1] ?? `stage${out.size}`, current);
    }
    current.push(line);
  }
  return out;
})();
const workspaces = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;

test('multi-stage: dependencies, build and a runtime stage that is the last one', () => {
  assert.deepEqual([...stages.keys()], ['base', 'deps', 'build', 'runtime']);
  assert.ok(stages.get('deps')?.some((l) => /npm ci --omit=dev/.test(l)), 'deps installs production dependencies only');
  assert.ok(stages.get('build')?.some((l) => /npm run build/.test(l)), 'build compiles');
  const runtime = stages.get('runtime') ?? [];
  assert.ok(runtime.some((l) => l === 'COPY --from=deps /app/node_modules ./node_modules'), 'runtime takes node_modules from deps, not from build');
  assert.ok(!runtime.some((l) => /--from=build \/app\/node_modules/.test(l)));
  assert.ok(!runtime.some((l) => /^RUN .*npm (ci|install)/.test(l)), 'nothing is installed in the runtime stage');
});

test('every workspace is in the image: its manifest for npm ci and its compiled code', () => {
  assert.ok(workspaces.length >= 5);
  for (const ws of workspaces) {
    assert.ok(stages.get('base')?.includes(`COPY ${ws}/package.json ${ws}/`), `${ws}: package.json not copied for npm ci`);
    assert.ok(stages.get('runtime')?.includes(`COPY --from=build /app/${ws}/dist ./${ws}/dist`), `${ws}: dist not copied into the runtime stage`);
    assert.ok(stages.get('runtime')?.includes(`COPY --from=build /app/${ws}/package.json ./${ws}/`), `${ws}: package.json (exports) not in the runtime stage`);
  }
  assert.ok(stages.get('runtime')?.includes('COPY --from=build /app/dist ./dist'), 'the CLI (dist/src/bin.js)');
  assert.ok(stages.get('runtime')?.includes('COPY --from=build /app/bin ./bin'));
});

test('runs `pra-pipeline <command>` as a non-root numeric user, with a health check on /livez', () => {
  const runtime = stages.get('runtime') ?? [];
  assert.ok(runtime.includes('USER 1000:1000'));
  assert.ok(runtime.includes('ENTRYPOINT ["node", "/app/bin/pra-pipeline.js"]'));
  const healthcheck = runtime.find((l) => l.startsWith('HEALTHCHECK'));
  assert.ok(healthcheck);
  assert.match(healthcheck, /CMD \["node", "-e", ".*\/livez/);
  assert.match(healthcheck, /process\.env\.HTTP_PORT\|\|9464/);
  assert.ok(runtime.some((l) => /^EXPOSE 9464$/.test(l)));
});

test('OCI labels', () => {
  const labels = (stages.get('runtime') ?? []).filter((l) => l.startsWith('LABEL')).join(' ');
  for (const key of ['title', 'description', 'version', 'revision', 'created', 'source', 'licenses']) {
    assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${key}=`), key);
  }
});

test('.dockerignore keeps the build context to sources and manifests', () => {
  const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
  for (const entry of ['**/node_modules', '**/dist', '.git', '.infra', '**/test', '.env']) assert.ok(ignored.includes(entry), entry);
});

test('the image is built on the Node LTS that CI tests on, and engines covers it', () => {
  const image = /^ARG NODE_IMAGE=node:(\d+)-alpine$/m.exec(dockerfile);
  assert.ok(image, 'ARG NODE_IMAGE=node:<major>-alpine');
  const installed = /^NODE_VERSION=\$\{1:-(\d+)\.\d+\.\d+\}$/m.exec(readFileSync(join(repoRoot, 'scripts', 'install-node.sh'), 'utf8'));
  assert.ok(installed, 'scripts/install-node.sh pins NODE_VERSION');
  assert.equal(image[1], installed[1], 'the Dockerfile and CI use the same Node major');
  assert.ok(Number(image[1]) >= 22 && Number(image[1]) % 2 === 0, `Node ${image[1]} is not a maintained LTS line`);
  const engines = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  assert.deepEqual(engines.split('||').map((r) => r.trim()), ['^20.19.0', `^${image[1]}.0.0`], 'engines: the first-look Node and the tested LTS');
  const ci = readFileSync(join(repoRoot, '.ci', 'run'), 'utf8');
  assert.match(ci, /node_bin=\$\(bash scripts\/install-node\.sh\)/);
  assert.match(ci, /export PATH="\$node_bin:\$PATH"/);
  assert.ok(ci.indexOf('install-node.sh') < ci.indexOf('\nnpm test'), 'the LTS is on PATH before npm test');
});

test('dependency patches are applied in both install stages, each for the version package-lock pins', () => {
  assert.ok(stages.get('base')?.includes('COPY patches/ patches/'));
  for (const stage of ['deps', 'build']) {
    assert.ok(stages.get(stage)?.some((l) => /npm ci .*&& for p in patches\/\*\.patch; do patch -p1 -N < "\$p"; done/.test(l)), `${stage}: patches not applied after npm ci`);
  }
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const patches = readdirSync(join(repoRoot, 'patches')).filter((f) => f.endsWith('.patch'));
  assert.ok(patches.length > 0);
  for (const file of patches) {
    const [, name, version] = /^(.+)\+([^+]+)\.patch$/.exec(file) ?? [];
    assert.equal(lock.packages[`node_modules/${name}`]?.version, version, `${file}: package-lock pins another version`);
  }
});
