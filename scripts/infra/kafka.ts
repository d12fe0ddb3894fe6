// Apache Kafka 4.3 in KRaft mode (one process is broker and controller) on 127.0.0.1:19092.
//
// There is no Kafka distribution download here, only Maven Central: infra/kafka/pom.xml
// resolves the broker and a log4j2 backend, whose jars form the classpath. The properties
// template is rendered per start so a port or path change never needs a re-format.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Component } from './component.ts';
import { pidFile } from './component.ts';
import { componentDir, hostPort, INFRA_SRC, KAFKA_SASL_USER, PORTS, VERSIONS } from './config.ts';
import { javaFor, ensureMaven, installDir, mvn } from './install.ts';
import { run, spawnDetached } from './proc.ts';
import { kafkaApiVersions } from './ready.ts';

const dir = componentDir('kafka');
const libs = join(dir, 'libs');
const dataDir = join(dir, 'data');
const logsDir = join(dir, 'logs');
const propsFile = join(dir, 'server.properties');
const pom = join(INFRA_SRC, 'kafka', 'pom.xml');
const pomStamp = join(libs, '.pom-sha256');
const classpath = `${libs}/*`;
const log4jConfig = join(INFRA_SRC, 'kafka', 'log4j2.xml');

function pomHash(): string {
  return createHash('sha256').update(readFileSync(pom)).digest('hex');
}

/** Copies the broker's runtime classpath from Maven (cached in ~/.m2) when the pom changed. */
async function ensureLibs(): Promise<void> {
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

function renderProperties(): void {
  const template = readFileSync(join(INFRA_SRC, 'kafka', 'server.properties'), 'utf8');
  const rendered = template
    .replaceAll('@LOG_DIRS@', dataDir)
    .replaceAll('@KAFKA_PORT@', String(PORTS.kafka))
    .replaceAll('@CONTROLLER_PORT@', String(PORTS.kafkaController))
    .replaceAll('@KAFKA_SASL_PORT@', String(PORTS.kafkaSasl))
    .replaceAll('@SASL_USER@', KAFKA_SASL_USER.username)
    .replaceAll('@SASL_PASSWORD@', KAFKA_SASL_USER.password)
    .replaceAll('@TLS_KEYSTORE@', keystore)
    .replaceAll('@TLS_KEYSTORE_PASSWORD@', KEYSTORE_PASSWORD);
  writeFileSync(propsFile, rendered);
}

const JVM_OPTS = [
  '-Xms256m',
  '-Xmx512m',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-Djava.awt.headless=true',
  `-Dlog4j2.configurationFile=${log4jConfig}`,
  `-Dkafka.logs.dir=${logsDir}`,
];

/** KRaft storage must carry a cluster id before the first start; later starts skip this JVM. */
async function formatStorage(javaBin: string): Promise<void> {
  if (existsSync(join(dataDir, 'meta.properties'))) return;
  const java = (main: string, args: string[]) => run(javaBin, [...JVM_OPTS, '-cp', classpath, main, ...args], { cwd: dir });
  const clusterId = (await java('kafka.tools.StorageTool', ['random-uuid'])).stdout.trim().split('\n').pop() ?? '';
  if (!/^[\w-]{22}$/.test(clusterId)) throw new Error(`kafka: unexpected cluster id from StorageTool: ${clusterId}`);
  await java('kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', propsFile, '--ignore-formatted']);
}

/** Resolved by `install`, which always runs before `start`. */
let java = 'java';

export const kafka: Component = {
  name: 'kafka',
  dependsOn: [],
  ports: [PORTS.kafka, PORTS.kafkaController, PORTS.kafkaSasl],
  marker: propsFile,
  startTimeoutMs: 90_000,
  stopSignal: 'SIGTERM',
  address: (ep) => ep.kafkaBrokers.join(','),
  ready: (ep) => {
    const { host, port } = hostPort(ep.kafkaBrokers[0] ?? '', 9092);
    return kafkaApiVersions(host, port);
  },
  install: async (log) => {
    java = await javaFor(17, log);
    mkdirSync(logsDir, { recursive: true });
    mkdirSync(dataDir, { recursive: true });
    await ensureLibs();
    await ensureTlsMaterial(java);
    renderProperties();
    await formatStorage(java);
  },
  start: async () => {
    renderProperties();
    return spawnDetached(java, [...JVM_OPTS, '-cp', classpath, 'kafka.Kafka', propsFile], {
      cwd: dir,
      logFile: join(logsDir, 'kafka.stdout.log'),
      pidFile: pidFile(kafka),
    });
  },
  version: async () => {
    const jar = existsSync(libs) ? readdirSync(libs).find((f) => /^kafka_2\.13-.*\.jar$/.test(f)) : undefined;
    return jar?.replace(/^kafka_2\.13-|\.jar$/g, '') ?? VERSIONS.kafka;
  },
  logFiles: () => [join(logsDir, 'server.log'), join(logsDir, 'kafka.stdout.log')],
};
