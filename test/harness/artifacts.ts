/**
 * Server distributions from Maven Central, unpacked once under `.infra/` in the
 * repository root (keyed by version). Maven's local repository (~/.m2) is the
 * download cache; `mvn` fetches whatever is missing. Each unpack goes to a
 * temporary folder first and is renamed into place, so an interrupted or
 * concurrent run never sees half a distribution.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './process.js';
import {
  APICURIO_VERSION,
  ELASTICSEARCH_VERSION,
  KAFKA_SCALA,
  KAFKA_VERSION,
  LOG4J_VERSION,
} from './versions.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const infraDir = process.env.PRA_INFRA_DIR ?? join(repoRoot, '.infra');

interface Dependency {
  groupId: string;
  artifactId: string;
  version: string;
  type?: string;
  classifier?: string;
  /** Only the artifact itself, none of its dependencies (the app tarballs list hundreds). */
  alone?: boolean;
}

function pom(dependencies: readonly Dependency[]): string {
  const deps = dependencies
    .map(
      (d) =>
        `<dependency><groupId>${d.groupId}</groupId><artifactId>${d.artifactId}</artifactId><version>${d.version}</version>` +
        (d.type ? `<type>${d.type}</type>` : '') +
        (d.classifier ? `<classifier>${d.classifier}</classifier>` : '') +
        (d.alone ? '<exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>' : '') +
        '</dependency>',
    )
    .join('\n    ');
  return `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>local.pra-pipeline</groupId><artifactId>test-servers</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    ${deps}
  </dependencies>
</project>
`;
}

/** Copies the dependencies' files (Maven's `runtime` scope) into `outDir`. */
async function mavenCopy(workDir: string, dependencies: readonly Dependency[], outDir: string): Promise<void> {
  const pomFile = join(workDir, 'pom.xml');
  writeFileSync(pomFile, pom(dependencies));
  await run('mvn', ['-B', '-q', '-f', pomFile, 'dependency:copy-dependencies', `-DoutputDirectory=${outDir}`, '-DincludeScope=runtime']);
}

/**
 * Makes `.infra/<name>` exist: `build(tmp)` fills a temporary folder that is then
 * renamed into place. Returns the final path.
 */
async function cached(name: string, build: (tmp: string) => Promise<void>): Promise<string> {
  const target = join(infraDir, name);
  if (existsSync(target)) return target;
  mkdirSync(infraDir, { recursive: true });
  const tmp = mkdtempSync(join(infraDir, `.${name}-`));
  try {
    await build(tmp);
    chmodSync(tmp, 0o755); // mkdtemp makes it private; Elasticsearch runs as another user
    try {
      renameSync(tmp, target);
    } catch (err) {
      // Another run finished the same download first; use theirs.
      if (!existsSync(target)) throw err;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return target;
}

/** The Kafka broker's class path folder: kafka_2.13 with its runtime dependencies and a log4j2 binding. */
export function kafkaLibs(): Promise<string> {
  return cached(`kafka-${KAFKA_VERSION}`, async (tmp) => {
    await mavenCopy(
      tmp,
      [
        { groupId: 'org.apache.kafka', artifactId: `kafka_${KAFKA_SCALA}`, version: KAFKA_VERSION },
        { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-core', version: LOG4J_VERSION },
        { groupId: 'org.apache.logging.log4j', artifactId: 'log4j-slf4j-impl', version: LOG4J_VERSION },
      ],
      join(tmp, 'lib'),
    );
  }).then((dir) => join(dir, 'lib'));
}

/** Apicurio Registry's Quarkus fast-jar folder (holds quarkus-run.jar). */
export function apicurioHome(): Promise<string> {
  return cached(`apicurio-registry-${APICURIO_VERSION}`, async (tmp) => {
    const downloads = join(tmp, 'download');
    await mavenCopy(
      tmp,
      [{ groupId: 'io.apicurio', artifactId: 'apicurio-registry-app', version: APICURIO_VERSION, type: 'tar.gz', classifier: 'all', alone: true }],
      downloads,
    );
    const archive = join(downloads, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`);
    await run('tar', ['-xzf', archive, '-C', tmp]);
    rmSync(downloads, { recursive: true, force: true });
    rmSync(join(tmp, 'pom.xml'), { force: true });
  });
}

/** Elasticsearch's integ-test distribution (bin/, lib/, modules/; no bundled JDK) of `version`. */
export function elasticsearchHome(version: string = ELASTICSEARCH_VERSION): Promise<string> {
  const name = `elasticsearch-${version}`;
  return cached(name, async (tmp) => {
    const downloads = join(tmp, 'download');
    await mavenCopy(
      tmp,
      [
        {
          groupId: 'org.elasticsearch.distribution.integ-test-zip',
          artifactId: 'elasticsearch',
          version,
          type: 'zip',
          alone: true,
        },
      ],
      downloads,
    );
    const archive = join(downloads, `elasticsearch-${version}.zip`);
    const unpacked = join(tmp, 'unpacked');
    mkdirSync(unpacked);
    try {
      await run('unzip', ['-q', archive, '-d', unpacked]);
    } catch {
      // No unzip on this machine: the JDK's jar tool unpacks too, but drops the exec bits.
      await run('jar', ['xf', archive], { cwd: unpacked });
    }
    const home = join(unpacked, name);
    for (const f of readdirSync(join(home, 'bin'))) chmodSync(join(home, 'bin', f), 0o755);
    // Move the inner folder up so `.infra/<name>` is the distribution itself.
    for (const entry of readdirSync(home)) renameSync(join(home, entry), join(tmp, entry));
    rmSync(unpacked, { recursive: true, force: true });
    rmSync(downloads, { recursive: true, force: true });
    rmSync(join(tmp, 'pom.xml'), { force: true });
  });
}
