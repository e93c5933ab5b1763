import { readdirSync, readFileSync } from 'node:fs';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { CONFIG_VARIABLES, loadConfig } from '@reranker/node';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createApp } from '../src/app';
import { loadServerConfig, SERVER_VARIABLES, serverConfig } from '../src/config';
import { ServerMetrics } from '../src/metrics/prometheus';
import type { Json } from './helpers';
import { silentPino } from './helpers';

// The recipe in deploy/kubernetes/ cannot be applied here (no cluster), so it is checked two ways:
// against Kubernetes' own schemas (kubernetes-models: validators generated with ajv from the
// Kubernetes OpenAPI spec; @kubernetes-models/keda: from KEDA's CRDs), and against the server, so a
// renamed route, variable or metric breaks this test instead of a deployment.
const DIR = new URL('../../../deploy/kubernetes/', import.meta.url);

type Validator = new (data: Json) => { validate(): void };
const SCHEMAS: Record<string, Validator> = {
  'apps/v1 Deployment': Deployment as unknown as Validator,
  'v1 Service': Service as unknown as Validator,
  'v1 ConfigMap': ConfigMap as unknown as Validator,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget as unknown as Validator,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler as unknown as Validator,
  'keda.sh/v1alpha1 ScaledObject': ScaledObject as unknown as Validator,
};

interface Manifest {
  file: string;
  doc: Json;
}

const manifests: Manifest[] = readdirSync(DIR)
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) =>
    parseAllDocuments(readFileSync(new URL(file, DIR), 'utf8')).map((document) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
      return { file, doc: document.toJS() as Json };
    }),
  );

const find = (kind: string, name: string): Json => {
  const found = manifests.find(({ doc }) => doc.kind === kind && doc.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} named ${name} in deploy/kubernetes/`);
  return found.doc;
};

/** Throws with the schema's message when `doc` breaks the schema of its kind. */
function validate(doc: Json): void {
  const Model = SCHEMAS[`${doc.apiVersion} ${doc.kind}`];
  if (!Model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc).validate();
}

const deployment = find('Deployment', 'reranker');
const pod = deployment.spec.template.spec;
const container = pod.containers.find((c: Json) => c.name === 'reranker');
const env: Record<string, string> = Object.fromEntries(
  container.env.map((e: Json) => [e.name, String(e.value)]),
);

describe('deploy/kubernetes/ against the Kubernetes schemas', () => {
  it('holds every piece of the recipe', () => {
    const kinds = manifests.map(({ doc }) => doc.kind).sort();
    expect(kinds).toEqual([
      'ConfigMap',
      'Deployment',
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'ScaledObject',
      'Service',
      'Service',
    ]);
  });

  for (const { file, doc } of manifests) {
    it(`${file}: ${doc.kind} ${doc.metadata?.name} is valid`, () => {
      expect(() => validate(doc)).not.toThrow();
    });
  }

  it('the schemas catch a broken manifest', () => {
    const broken = structuredClone(deployment);
    broken.spec.template.spec.containers[0].ports[0].containerPort = '8000';
    expect(() => validate(broken)).toThrow(/containerPort must be integer/);
    const hpa = structuredClone(find('HorizontalPodAutoscaler', 'reranker'));
    delete hpa.spec.maxReplicas;
    expect(() => validate(hpa)).toThrow(/maxReplicas/);
    const keda = structuredClone(find('ScaledObject', 'reranker'));
    delete keda.spec.triggers[0].type;
    expect(() => validate(keda)).toThrow(/type/);
  });
});

describe('deploy/kubernetes/ against the server', () => {
  it('every variable exists and parses, in the server and the engine', () => {
    const known = new Set([
      ...SERVER_VARIABLES.map((v) => v.variable),
      ...CONFIG_VARIABLES.flatMap((v) => [v.variable, ...v.aliases]),
    ]);
    expect(Object.keys(env).filter((name) => !known.has(name))).toEqual([]);
    expect(() => loadServerConfig(env)).not.toThrow();
    expect(() => loadConfig(env)).not.toThrow();
  });

  it('probes and the scrape path are GET routes of the app', () => {
    const app = createApp({
      reranker: new Promise(() => {}),
      config: serverConfig(),
      logger: silentPino(),
      metrics: new ServerMetrics({ defaultMetrics: false }),
    });
    const routes = getRoutes((app as unknown as { router: { stack: Json[] } }).router.stack);
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    const paths = [
      container.readinessProbe.httpGet.path,
      container.livenessProbe.httpGet.path,
      container.startupProbe.httpGet.path,
      deployment.spec.template.metadata.annotations['prometheus.io/path'],
    ];
    for (const path of paths) expect(routes).toContain(path);
  });

  it('ports agree with PORT, from the probes to the Service', () => {
    const port = Number(loadServerConfig(env).port);
    expect(loadServerConfig(env).host).toBe('0.0.0.0');
    const named = new Map(container.ports.map((p: Json) => [p.name, p.containerPort]));
    expect(named.get('http')).toBe(port);
    for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      expect(named.get(container[probe].httpGet.port)).toBe(port);
    }
    expect(Number(deployment.spec.template.metadata.annotations['prometheus.io/port'])).toBe(port);
    const service = find('Service', 'reranker');
    expect(named.get(service.spec.ports[0].targetPort)).toBe(port);
  });

  it('the grace period covers the preStop pause, the drain and the worker shutdown', () => {
    const drainS = loadServerConfig(env).shutdownTimeoutMs / 1000;
    const pauseS = container.lifecycle.preStop.sleep.seconds;
    // shutdown.ts gives the reranker at least 5 s to dispose after the drain.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(pauseS + drainS + 5);
  });

  it('metric names exist in the server registry, and targets match SCALE_TARGET_UTILIZATION', () => {
    const registry = new ServerMetrics({ defaultMetrics: false }).registry;
    const names = new Set(registry.getMetricsAsArray().map((metric) => metric.name));
    const hpa = find('HorizontalPodAutoscaler', 'reranker');
    const keda = find('ScaledObject', 'reranker');
    const adapter = find('ConfigMap', 'adapter-config').data['config.yaml'];
    const used = [
      ...hpa.spec.metrics.map((m: Json) => m.pods.metric.name),
      ...metricNames(adapter),
      ...metricNames(keda.spec.triggers[0].metadata.query),
    ];
    expect(used).toHaveLength(3);
    for (const name of used) expect(names, name).toContain(name);
    const target = loadServerConfig(env).scaleTargetUtilization;
    expect(quantity(hpa.spec.metrics[0].pods.target.averageValue)).toBe(target);
    expect(Number(keda.spec.triggers[0].metadata.threshold)).toBe(target);
  });

  it('names and labels point at each other', () => {
    const labels = deployment.spec.template.metadata.labels;
    const matches = (selector: Record<string, string>) =>
      Object.entries(selector).every(([key, value]) => labels[key] === value);
    expect(matches(deployment.spec.selector.matchLabels)).toBe(true);
    expect(matches(find('Service', 'reranker').spec.selector)).toBe(true);
    expect(matches(find('PodDisruptionBudget', 'reranker').spec.selector.matchLabels)).toBe(true);
    expect(find('HorizontalPodAutoscaler', 'reranker').spec.scaleTargetRef).toMatchObject({
      kind: 'Deployment',
      name: 'reranker',
    });
    expect(find('ScaledObject', 'reranker').spec.scaleTargetRef.name).toBe('reranker');
    const redis = new URL(env.REDIS_URL!);
    const redisService = find('Service', redis.hostname);
    expect(redisService.spec.ports[0].port).toBe(Number(redis.port));
  });
});

/** `METHOD`-less paths of the GET routes in an express 5 router stack, nested routers included. */
function getRoutes(stack: Json[]): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) return layer.route.methods.get ? [layer.route.path as string] : [];
    return layer.handle?.stack ? getRoutes(layer.handle.stack) : [];
  });
}

/** The reranker_* metric names a PromQL query or adapter rule reads. */
function metricNames(text: string): string[] {
  return [...new Set(text.match(/\breranker_[a-z_]+/g) ?? [])].filter((name) => !name.endsWith('_'));
}

/** A Kubernetes quantity such as `700m` or `2`, as a number. */
function quantity(text: string): number {
  return text.endsWith('m') ? Number(text.slice(0, -1)) / 1000 : Number(text);
}
