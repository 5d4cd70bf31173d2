/**
 * Helpers of the deploy tests: the tool binaries (helm, kubeconform) from
 * .infra/bin or PATH, the offline Kubernetes schemas, and the chart rendered
 * with each ci/*-values.yaml. A missing tool is a failure, never a skip.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const infraDir = process.env.PRA_INFRA_DIR ?? join(repoRoot, '.infra');
export const chartDir = join(repoRoot, 'deploy', 'helm', 'pra-pipeline');
/** The Kubernetes versions the chart is checked against, its oldest supported (Chart.yaml kubeVersion) and the newest (scripts/install-tools.sh installs their schemas). */
export const KUBERNETES_VERSIONS = ['1.27.0', '1.37.0'] as const;
export const RENDER_KUBE_VERSION = '1.37.0';

const INSTALL_HINT = 'run scripts/install-tools.sh (the install step of .ci/run) to install it into .infra/';

/** The path of a tool: .infra/bin first, then PATH. Throws with the install hint when absent. */
export function tool(name: string): string {
  const candidates = [join(infraDir, 'bin', name), ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, name))];
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  throw new Error(`${name} is not installed (looked in .infra/bin and on PATH): ${INSTALL_HINT}`);
}

/** The directory of the strict standalone schemas of one Kubernetes version. */
export function kubernetesSchemaDir(version: string): string {
  const dir = join(infraDir, 'kubernetes-schemas', `v${version}-standalone-strict`);
  if (!existsSync(join(dir, 'deployment-apps-v1.json'))) {
    throw new Error(`The Kubernetes ${version} JSON schemas are not in ${dir}: ${INSTALL_HINT}`);
  }
  return dir;
}

export function run(file: string, args: readonly string[]): { code: number; out: string } {
  try {
    const out = execFileSync(file, args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, out };
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    return { code: e.status ?? 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** The ci/*-values.yaml files, by name without the directory. */
export function ciValuesFiles(): string[] {
  return readdirSync(join(chartDir, 'ci')).filter((f) => f.endsWith('-values.yaml')).sort();
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string>; namespace?: string };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
  [key: string]: unknown;
}

/** The optional APIs the chart looks for: with them, a cluster that runs the Prometheus Operator and KEDA. */
export const OPERATOR_APIS = ['monitoring.coreos.com/v1/ServiceMonitor', 'monitoring.coreos.com/v1/PrometheusRule', 'keda.sh/v1alpha1/ScaledObject', 'keda.sh/v1alpha1/TriggerAuthentication'] as const;

export interface TemplateOptions {
  valuesFile?: string;
  set?: readonly string[];
  kubeVersion?: string;
  release?: string;
  /** --api-versions: the cluster's optional APIs. Default OPERATOR_APIS; [] is a bare cluster. */
  apiVersions?: readonly string[];
}

/** Runs helm template; returns the YAML text. Throws with helm's output on failure. */
export function helmTemplate(options: TemplateOptions = {}): string {
  const args = ['template', options.release ?? 'rel', chartDir, '--namespace', 'pra', '--kube-version', options.kubeVersion ?? RENDER_KUBE_VERSION];
  if (options.valuesFile) args.push('-f', join(chartDir, 'ci', options.valuesFile));
  for (const s of options.set ?? []) args.push('--set', s);
  for (const api of options.apiVersions ?? OPERATOR_APIS) args.push('--api-versions', api);
  const result = run(tool('helm'), args);
  if (result.code !== 0) throw new Error(`helm ${args.join(' ')} failed:\n${result.out}`);
  return result.out;
}

export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`Rendered YAML does not parse: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

const renders = new Map<string, K8sObject[]>();

/** The objects the chart renders with a ci values file ('' = the chart's defaults) on a cluster with OPERATOR_APIS, cached per process. */
export function rendered(valuesFile = ''): K8sObject[] {
  let objects = renders.get(valuesFile);
  if (!objects) {
    objects = parseObjects(helmTemplate(valuesFile ? { valuesFile } : {}));
    renders.set(valuesFile, objects);
  }
  return objects;
}

export function find(objects: readonly K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

export function one(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = find(objects, kind, name);
  if (found.length !== 1) throw new Error(`Expected one ${kind} ${name}, found ${found.length}`);
  return found[0] as K8sObject;
}

export function readYaml(path: string): unknown {
  return parseYaml(readFileSync(join(repoRoot, path), 'utf8'));
}
