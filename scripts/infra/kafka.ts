// Apache Kafka 4.3 in KRaft mode (one process is broker and controller) on 127.0.0.1:19092,
// and the node factory the three-node cluster (kafka-cluster.ts) is built from.
//
// There is no Kafka distribution download here, only Maven Central: infra/kafka/pom.xml
// resolves the broker and a log4j2 backend, whose jars form the classpath. The properties
// template is rendered per start so a port or path change never needs a re-format.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Component } from './component.ts';
import type { InfraEndpoints } from './config.ts';
import { pidFile } from './component.ts';
import { componentDir, hostPort, INFRA_SRC, KAFKA_SASL_USER, PORTS, VERSIONS } from './config.ts';
import { javaFor, ensureMaven, installDir, mvn } from './install.ts';
import { run, spawnDetached } from './proc.ts';
import { kafkaApiVersions } from './ready.ts';

const dir = componentDir('kafka');
const libs = join(dir, 'libs');
const pom = join(INFRA_SRC, 'kafka', 'pom.xml');
const pomStamp = join(libs, '.pom-sha256');
const classpath = `${libs}/*`;
const log4jConfig = join(INFRA_SRC, 'kafka', 'log4j2.xml');

function pomHash(): string {
  return createHash('sha256').update(readFileSync(pom)).digest('hex');
}

/** One copy at a time: the cluster's nodes install together and share the classpath. */
let libsCopy: Promise<void> | undefined;
function ensureLibs(): Promise<void> {
  libsCopy ??= copyLibs().finally(() => {
    libsCopy = undefined;
  });
  return libsCopy;
}

/** Copies the broker's runtime classpath from Maven (cached in ~/.m2) when the pom changed. */
async function copyLibs(): Promise<void> {
  const hash = pomHash();
  if (existsSync(pomStamp) && readFileSync(pomStamp, 'utf8').trim() === hash) return;
  await ensureMaven();
  await installDir(libs, async (tmp) => {
    await mvn(['-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${tmp}`]);
    writeFileSync(join(tmp, '.pom-sha256'), `${hash}\n`);
  });
}

const tlsDir = join(dir, 'tls');
const keystore = join(tlsDir, 'broker.p12');
/** The CA clients trust for the SASL_SSL listener: the broker's self-signed certificate. */
export const KAFKA_TLS_CA_FILE = join(tlsDir, 'broker-ca.pem');
const KEYSTORE_PASSWORD = 'roomcast-local-keystore';

/** A self-signed certificate for 127.0.0.1 (JDK keytool, always present next to the broker's Java). */
async function ensureTlsMaterial(javaBin: string): Promise<void> {
  if (existsSync(keystore) && existsSync(KAFKA_TLS_CA_FILE)) return;
  mkdirSync(tlsDir, { recursive: true });
  const keytool = javaBin.includes('/') && existsSync(join(dirname(javaBin), 'keytool')) ? join(dirname(javaBin), 'keytool') : 'keytool';
  const common = ['-keystore', keystore, '-storetype', 'PKCS12', '-storepass', KEYSTORE_PASSWORD, '-alias', 'broker'];
  await run(keytool, ['-genkeypair', ...common, '-keypass', KEYSTORE_PASSWORD, '-keyalg', 'RSA', '-keysize', '2048', '-validity', '3650', '-dname', 'CN=127.0.0.1', '-ext', 'SAN=IP:127.0.0.1', '-ext', 'BC=ca:true'], { cwd: dir });
  await run(keytool, ['-exportcert', '-rfc', ...common, '-file', KAFKA_TLS_CA_FILE], { cwd: dir });
}

/** What one KRaft node (broker and controller in one process) is made of. */
export interface KafkaNodeOptions {
  name: string;
  /** Its own folder: data, logs, rendered properties, pid file. */
  dir: string;
  /** Properties template under infra/kafka/. */
  template: string;
  /** Placeholders of the template besides @LOG_DIRS@. */
  vars: () => Record<string, string>;
  ports: number[];
  /** Address shown to humans. */
  address: (ep: InfraEndpoints) => string;
  /** The client listener its readiness is probed on. */
  probeAt: (ep: InfraEndpoints) => { host: string; port: number };
  heap: { minMb: number; maxMb: number };
  /** KRaft cluster id to format with; unset: a new one per node (a single-node cluster). */
  clusterId?: () => string;
  /** Runs before the first start (key material). */
  prepare?: (javaBin: string) => Promise<void>;
}

function jvmOpts(o: KafkaNodeOptions, logsDir: string): string[] {
  return [
    `-Xms${o.heap.minMb}m`,
    `-Xmx${o.heap.maxMb}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jConfig}`,
    `-Dkafka.logs.dir=${logsDir}`,
  ];
}

/**
 * One Kafka node as a component. The single broker (`kafka` below) and each node of the
 * three-node cluster (kafka-cluster.ts) are built here, sharing the one Maven classpath.
 */
export function kafkaNode(o: KafkaNodeOptions): Component {
  const dataDir = join(o.dir, 'data');
  const logsDir = join(o.dir, 'logs');
  const propsFile = join(o.dir, 'server.properties');
  const opts = jvmOpts(o, logsDir);
  /** Resolved by `install`, which always runs before `start`. */
  let java = 'java';

  const render = (): void => {
    let rendered = readFileSync(join(INFRA_SRC, 'kafka', o.template), 'utf8').replaceAll('@LOG_DIRS@', dataDir);
    for (const [k, v] of Object.entries(o.vars())) rendered = rendered.replaceAll(`@${k}@`, v);
    writeFileSync(propsFile, rendered);
  };

  /** KRaft storage must carry a cluster id before the first start; later starts skip this JVM. */
  const formatStorage = async (): Promise<void> => {
    if (existsSync(join(dataDir, 'meta.properties'))) return;
    const tool = (args: string[]) => run(java, [...opts, '-cp', classpath, 'kafka.tools.StorageTool', ...args], { cwd: o.dir });
    const clusterId = o.clusterId?.() ?? (await tool(['random-uuid'])).stdout.trim().split('\n').pop() ?? '';
    if (!/^[\w-]{22}$/.test(clusterId)) throw new Error(`${o.name}: unexpected cluster id: ${clusterId}`);
    await tool(['format', '-t', clusterId, '-c', propsFile, '--ignore-formatted']);
  };

  const node: Component = {
    name: o.name,
    dir: o.dir,
    dependsOn: [],
    ports: o.ports,
    marker: propsFile,
    startTimeoutMs: 90_000,
    stopSignal: 'SIGTERM',
    address: o.address,
    ready: (ep) => {
      const { host, port } = o.probeAt(ep);
      return kafkaApiVersions(host, port);
    },
    install: async (log) => {
      java = await javaFor(17, log);
      mkdirSync(logsDir, { recursive: true });
      mkdirSync(dataDir, { recursive: true });
      await ensureLibs();
      await o.prepare?.(java);
      render();
      await formatStorage();
    },
    start: async () => {
      render();
      return spawnDetached(java, [...opts, '-cp', classpath, 'kafka.Kafka', propsFile], {
        cwd: o.dir,
        logFile: join(logsDir, 'kafka.stdout.log'),
        pidFile: pidFile(node),
      });
    },
    version: async () => {
      const jar = existsSync(libs) ? readdirSync(libs).find((f) => /^kafka_2\.13-.*\.jar$/.test(f)) : undefined;
      return jar?.replace(/^kafka_2\.13-|\.jar$/g, '') ?? VERSIONS.kafka;
    },
    logFiles: () => [join(logsDir, 'server.log'), join(logsDir, 'kafka.stdout.log')],
  };
  return node;
}

export const kafka: Component = kafkaNode({
  name: 'kafka',
  dir,
  template: 'server.properties',
  vars: () => ({
    KAFKA_PORT: String(PORTS.kafka),
    CONTROLLER_PORT: String(PORTS.kafkaController),
    KAFKA_SASL_PORT: String(PORTS.kafkaSasl),
    SASL_USER: KAFKA_SASL_USER.username,
    SASL_PASSWORD: KAFKA_SASL_USER.password,
    TLS_KEYSTORE: keystore,
    TLS_KEYSTORE_PASSWORD: KEYSTORE_PASSWORD,
  }),
  ports: [PORTS.kafka, PORTS.kafkaController, PORTS.kafkaSasl],
  address: (ep) => ep.kafkaBrokers.join(','),
  probeAt: (ep) => hostPort(ep.kafkaBrokers[0] ?? '', 9092),
  heap: { minMb: 256, maxMb: 512 },
  prepare: ensureTlsMaterial,
});
