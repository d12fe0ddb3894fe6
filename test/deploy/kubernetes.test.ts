// Kubernetes cannot run here, so this test checks the manifests under deploy/kubernetes: each
// passes kubernetes-validate (the Kubernetes JSON schemas, strict: no unknown field), and they
// agree with the code — every Deployment starts a real service from the project's image with
// probes on /readyz and /healthz on its port, is hardened and sized, reads only real settings
// (secret ones from Secrets), is scraped and kept available; the ConfigMap and Secret load
// through the platform's own configuration spec; the Strimzi example (its CRDs are not in the
// schemas, so checked structurally) is a three-node KRaft cluster at RF 3 / min ISR 2 that the
// services' Kafka settings point at.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { platformConfigSpec } from '@roomcast/all';
import { ConfigError, loadConfig } from '@roomcast/core';
import { generateSigningKey } from '@roomcast/log';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { dockerInstructions, INSTALL_TIMEOUT_MS, installTool, ROOT, serviceMains, serviceOfCommand, settingNames, toolchain } from '../support/deploy.ts';

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML, checked field by field below.
type Doc = Record<string, any>;
const DIR = join(ROOT, 'deploy', 'kubernetes');
const yamlFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const load = (file: string): Doc[] =>
  parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]?.message}`);
    return d.toJS() as Doc;
  });

const baseFiles = yamlFiles(DIR);
const docs = baseFiles.flatMap((f) => load(join(DIR, f)));
const strimzi = yamlFiles(join(DIR, 'strimzi')).flatMap((f) => load(join(DIR, 'strimzi', f)));
const ofKind = (kind: string, from = docs) => from.filter((d) => d.kind === kind);
const one = (kind: string, from = docs) => {
  const found = ofKind(kind, from);
  expect(found, kind).toHaveLength(1);
  return found[0] as Doc;
};

const deployments = ofKind('Deployment');
const configMap = one('ConfigMap');
const secret = one('Secret');
const kafka = one('Kafka', strimzi);
const nodePool = one('KafkaNodePool', strimzi);
const kafkaUser = one('KafkaUser', strimzi);
const settings: Record<string, string> = configMap.data;
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const imageUid = (dockerInstructions(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).filter((i) => i.keyword === 'USER').at(-1)?.args ?? '').split(':')[0];
const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const python = toolchain('python');

describe('deploy/kubernetes', () => {
  describe.skipIf(!python.ok)(`kubernetes-validate --strict${python.ok ? '' : ` (skipped: ${python.reason})`}`, () => {
    let bin: (name: string) => string;
    beforeAll(() => {
      bin = installTool('python');
    }, INSTALL_TIMEOUT_MS);
    const run = (args: string[], input?: string) => spawnSync(bin('kubernetes-validate'), ['--strict', '--quiet', ...args], { cwd: DIR, input, encoding: 'utf8' });

    it('passes every manifest', () => {
      const r = run(baseFiles);
      expect(r.error).toBeUndefined();
      expect(`${r.stdout}${r.stderr}`).toBe('');
      expect(r.status).toBe(0);
    });

    it('refuses a manifest with an unknown field (the check can fail)', () => {
      const good = readFileSync(join(DIR, 'dispatcher.yaml'), 'utf8');
      expect(run(['-'], good).status).toBe(0);
      const r = run(['-'], good.replace('readOnlyRootFilesystem: true', 'readOnlyRootFilesystem: true\n            readOnlyRootFileSystem: true'));
      expect(r.status).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`).toContain("'readOnlyRootFileSystem' was unexpected");
    });
  });

  it('lists every manifest in its kustomization', () => {
    for (const dir of [DIR, join(DIR, 'strimzi')]) {
      const k = load(join(dir, 'kustomization.yaml'))[0] as Doc;
      expect(k.kind).toBe('Kustomization');
      expect([...k.resources].sort()).toEqual(yamlFiles(dir).sort());
    }
  });

  it('puts everything in the roomcast namespace', () => {
    expect(one('Namespace').metadata.name).toBe('roomcast');
    for (const d of [...docs, ...strimzi].filter((d) => d.kind !== 'Namespace')) expect(d.metadata.namespace, `${d.kind} ${d.metadata.name}`).toBe('roomcast');
  });

  it('deploys every service but the all-in-one process, each from its own main.ts', () => {
    const started = deployments.map((d) => serviceOfCommand(d.spec.template.spec.containers[0].command));
    expect(started.sort()).toEqual(serviceMains().map((m) => m.split('/')[1]).filter((n) => n !== 'all').sort());
  });
});

describe.each(deployments.map((d) => [d.metadata.name as string, d]))('Deployment %s', (_name, d: Doc) => {
  const pod = d.spec.template.spec;
  const c = pod.containers[0];
  const port = c.ports.find((p: Doc) => p.name === 'http');
  const env: Doc[] = c.env ?? [];

  it('runs one container of the project image, its command naming the component', () => {
    expect(pod.containers).toHaveLength(1);
    expect(c.image).toBe(`roomcast:${version}`);
    expect(serviceOfCommand(c.command)).toBe(d.metadata.labels['app.kubernetes.io/component']);
    expect(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
  });

  it('probes /readyz for readiness and /healthz for liveness on the port the service listens on', () => {
    expect(port.containerPort).toBe(Number(settings.ROOMCAST_PORT));
    expect(settings.ROOMCAST_HOST).toBe('0.0.0.0');
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    if (c.startupProbe) expect(c.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
  });

  it('requests and limits CPU and memory', () => {
    for (const k of ['requests', 'limits']) for (const r of ['cpu', 'memory']) expect(c.resources?.[k]?.[r], `${k}.${r}`).toBeDefined();
  });

  it('runs as the image user, not root, read-only, without privileges or capabilities', () => {
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(String(pod.securityContext.runAsUser)).toBe(imageUid);
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const volumes = new Set(pod.volumes.map((v: Doc) => v.name));
    for (const m of c.volumeMounts) expect(volumes, m.name).toContain(m.name);
  });

  it('reads only real settings, the secret ones from Secrets', () => {
    const known = settingNames();
    expect(c.envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
    for (const e of env) {
      expect(known, e.name).toContain(e.name);
      const spec = (platformConfigSpec as Record<string, { kind: string }>)[e.name];
      if (spec?.kind === 'secret' || /_URL$/.test(e.name)) expect(e.value, `${e.name} must come from a Secret`).toBeUndefined();
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref) continue;
      if (ref.name === secret.metadata.name) {
        if (!ref.optional) expect(Object.keys(secret.stringData), e.name).toContain(ref.key);
      } else {
        // The Secret Strimzi's User Operator writes for the KafkaUser.
        expect([ref.name, ref.key, e.name]).toEqual([kafkaUser.metadata.name, 'password', 'ROOMCAST_KAFKA_SASL_PASSWORD']);
      }
    }
  });

  it('is scraped by Prometheus on its port', () => {
    const a = d.spec.template.metadata.annotations;
    expect(a['prometheus.io/scrape']).toBe('true');
    expect(Number(a['prometheus.io/port'])).toBe(port.containerPort);
    expect(a['prometheus.io/path']).toBe('/metrics');
  });

  it('runs several replicas, kept available by a PodDisruptionBudget and rolled without losing one', () => {
    expect(d.spec.replicas).toBeGreaterThan(1);
    const pdbs = ofKind('PodDisruptionBudget').filter((p) => matches(p.spec.selector.matchLabels, d.spec.template.metadata.labels));
    expect(pdbs).toHaveLength(1);
    expect(pdbs[0]?.spec.minAvailable).toBeLessThan(d.spec.replicas);
    expect(d.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
  });

  it('mounts the Kafka cluster CA where the Kafka TLS setting reads it', () => {
    const mount = c.volumeMounts.find((m: Doc) => settings.ROOMCAST_KAFKA_TLS_CA_FILE?.startsWith(`${m.mountPath}/`));
    expect(mount, 'no mount holds ROOMCAST_KAFKA_TLS_CA_FILE').toBeDefined();
    const volume = pod.volumes.find((v: Doc) => v.name === mount.name);
    expect(volume.secret.secretName).toBe(`${kafka.metadata.name}-cluster-ca-cert`);
    expect(volume.secret.items.map((i: Doc) => i.path)).toContain(settings.ROOMCAST_KAFKA_TLS_CA_FILE?.slice(mount.mountPath.length + 1));
  });
});

describe('deploy/kubernetes: services, autoscaling and settings', () => {
  it('gives every Service a Deployment to select and its http port', () => {
    for (const s of ofKind('Service')) {
      const target = deployments.filter((d) => matches(s.spec.selector, d.spec.template.metadata.labels));
      expect(target, s.metadata.name).toHaveLength(1);
      expect(s.spec.ports.map((p: Doc) => p.targetPort)).toEqual(['http']);
    }
  });

  it('autoscales the ingress on CPU, never below two replicas, within its CPU request', () => {
    const hpa = one('HorizontalPodAutoscaler');
    const ingress = deployments.find((d) => d.metadata.name === hpa.spec.scaleTargetRef.name) as Doc;
    expect(serviceOfCommand(ingress.spec.template.spec.containers[0].command)).toBe('ingress');
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } }]);
    const c = ingress.spec.template.spec.containers[0];
    expect(c.resources.requests.cpu).toBeDefined();
    // Its worker processes fit the CPU it may use.
    const workers = Number(c.env.find((e: Doc) => e.name === 'ROOMCAST_INGRESS_WORKERS')?.value);
    expect(workers).toBeGreaterThanOrEqual(1);
    expect(workers).toBeLessThanOrEqual(Number(c.resources.limits.cpu));
  });

  it('keeps secret settings out of the ConfigMap and only real settings in both', () => {
    const known = settingNames();
    const spec = platformConfigSpec as Record<string, { kind: string }>;
    for (const k of Object.keys(settings)) {
      expect(known, k).toContain(k);
      expect(spec[k]?.kind, `${k} is secret`).not.toBe('secret');
      expect(k, 'URLs may carry passwords').not.toMatch(/_(DATABASE|REDIS|MIGRATE)_URL$/);
    }
    for (const k of Object.keys(secret.stringData)) expect(known, k).toContain(k);
    expect(settings.ROOMCAST_DEV_MODE).toBe('false');
  });

  it('holds placeholders only: left in place, the keys stop the platform at start, each named', () => {
    const env = { ...settings, ...secret.stringData };
    let error: unknown;
    try {
      loadConfig(platformConfigSpec, env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = Object.keys(secret.stringData).filter((k) => !/_URL$/.test(k));
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(String((error as Error).message), k).toContain(k);
  });

  it('loads through the platform configuration once the keys are real', () => {
    const keys = {
      ROOMCAST_ROUTING_KEY: randomBytes(32).toString('base64'),
      ROOMCAST_MASTER_KEY: randomBytes(32).toString('base64'),
      ROOMCAST_BOOTSTRAP_ADMIN_KEY: randomBytes(32).toString('base64'),
      ROOMCAST_LOG_SIGNING_KEY: generateSigningKey().privateKey,
    };
    expect(Object.keys(keys).sort()).toEqual(Object.keys(secret.stringData).filter((k) => !/_URL$/.test(k)).sort());
    const config = loadConfig(platformConfigSpec, { ...settings, ...secret.stringData, ...keys, ROOMCAST_KAFKA_SASL_PASSWORD: 'from-the-kafka-user-secret' });
    expect(config.ROOMCAST_KAFKA_TLS).toBe(true);
    expect(config.ROOMCAST_DEV_MODE).toBe(false);
  });
});

describe('deploy/kubernetes/strimzi', () => {
  it('uses the Strimzi v1beta2 API for every resource', () => {
    expect(strimzi.map((d) => d.kind).sort()).toEqual(['Kafka', 'KafkaNodePool', 'KafkaUser']);
    for (const d of strimzi) expect(d.apiVersion, d.kind).toBe('kafka.strimzi.io/v1beta2');
  });

  it('is a KRaft cluster of three combined controller-broker nodes, without ZooKeeper', () => {
    expect(kafka.metadata.annotations).toMatchObject({ 'strimzi.io/node-pools': 'enabled', 'strimzi.io/kraft': 'enabled' });
    expect(kafka.spec.zookeeper).toBeUndefined();
    expect(nodePool.metadata.labels['strimzi.io/cluster']).toBe(kafka.metadata.name);
    expect(nodePool.spec.replicas).toBe(3);
    expect([...nodePool.spec.roles].sort()).toEqual(['broker', 'controller']);
    expect(nodePool.spec.storage.volumes.some((v: Doc) => v.type === 'persistent-claim' && v.deleteClaim === false)).toBe(true);
  });

  it('replicates every topic three times and acknowledges on two (RF 3, min ISR 2)', () => {
    const c = kafka.spec.kafka.config;
    expect(c['default.replication.factor']).toBe(3);
    expect(c['min.insync.replicas']).toBe(2);
    expect(c['offsets.topic.replication.factor']).toBe(3);
    expect(c['transaction.state.log.replication.factor']).toBe(3);
    expect(c['transaction.state.log.min.isr']).toBe(2);
    expect(c['auto.create.topics.enable']).toBe(false);
    expect(c['min.insync.replicas']).toBeLessThan(nodePool.spec.replicas);
  });

  it("is where the services' Kafka settings point: the TLS listener, SCRAM, the KafkaUser", () => {
    const listener = kafka.spec.kafka.listeners.find((l: Doc) => `${kafka.metadata.name}-kafka-bootstrap:${l.port}` === settings.ROOMCAST_KAFKA_BROKERS);
    expect(listener, `no listener behind ${settings.ROOMCAST_KAFKA_BROKERS}`).toBeDefined();
    expect(listener.tls).toBe(true);
    expect(settings.ROOMCAST_KAFKA_TLS).toBe('true');
    expect(listener.authentication.type).toBe(settings.ROOMCAST_KAFKA_SASL_MECHANISM);
    expect(kafkaUser.metadata.name).toBe(settings.ROOMCAST_KAFKA_SASL_USERNAME);
    expect(kafkaUser.metadata.labels['strimzi.io/cluster']).toBe(kafka.metadata.name);
    expect(kafkaUser.spec.authentication.type).toBe(listener.authentication.type);
  });

  it('lets the KafkaUser use every topic and group under the name prefix, and nothing else', () => {
    const prefix = `${settings.ROOMCAST_NAME_PREFIX}.`;
    const acls: Doc[] = kafkaUser.spec.authorization.acls;
    for (const type of ['topic', 'group']) expect(acls.find((a) => a.resource.type === type)?.resource, type).toEqual({ type, name: prefix, patternType: 'prefix' });
    for (const a of acls.filter((a) => a.resource.type !== 'cluster')) expect(a.resource.name).toBe(prefix);
  });
});
