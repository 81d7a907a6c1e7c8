import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/** The fields of the manifests the deploy tests read. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  /** Where it came from, for messages. */
  file: string;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
  exec?: { command: string[] };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface Volume {
  name: string;
  emptyDir?: Record<string, unknown>;
  secret?: { secretName: string };
  persistentVolumeClaim?: { claimName: string };
  hostPath?: { path: string };
  configMap?: { name: string };
}

export interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    serviceName?: string;
    strategy?: { type: string };
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string> };
      spec: { containers: Container[]; initContainers?: Container[]; volumes?: Volume[] };
    };
    volumeClaimTemplates?: { metadata: { name: string }; spec: { accessModes: string[] } }[];
  };
}

export interface Service extends K8sObject {
  spec: {
    type?: string;
    clusterIP?: string;
    selector: Record<string, string>;
    ports: { name?: string; port: number; targetPort?: string | number }[];
  };
}

export interface PodDisruptionBudget extends K8sObject {
  spec: {
    minAvailable?: number | string;
    maxUnavailable?: number | string;
    selector: { matchLabels: Record<string, string> };
  };
}

export interface ConfigMap extends K8sObject {
  data: Record<string, string>;
}

export interface Manifests {
  objects: K8sObject[];
  /** Every `.yaml` file in the folder but the kustomization. */
  files: string[];
  kustomization: { namespace?: string; resources: string[] };
  /** The kustomization's text: its comments document the Secrets the operator creates. */
  kustomizationText: string;
  /** Typed lookup; fails with the kinds and names present when the object is missing. */
  get<T extends K8sObject>(kind: string, name: string): T;
}

export async function loadManifests(dir: string): Promise<Manifests> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
  const objects: K8sObject[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(join(dir, file), 'utf8'))) {
      if (doc.errors.length > 0) {
        throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      }
      objects.push({ ...(doc.toJS() as K8sObject), file });
    }
  }
  const kustomizationText = await readFile(join(dir, 'kustomization.yaml'), 'utf8');
  return {
    objects,
    files,
    kustomization: parse(kustomizationText) as Manifests['kustomization'],
    kustomizationText,
    get<T extends K8sObject>(kind: string, name: string): T {
      const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
      if (!found) {
        const present = objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ');
        throw new Error(`${kind}/${name} not found in ${present}`);
      }
      return found as T;
    },
  };
}

/** Every key of selector has the same value in labels (matchLabels semantics). */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/**
 * The Secrets the kustomization's comments tell the operator to create, with stand-in values: each
 * `$(openssl rand -hex N)` becomes 2N hex characters, so the values keep the documented formats.
 */
export function documentedSecrets(kustomizationText: string): Record<string, Record<string, string>> {
  const commands = kustomizationText
    .split('\n')
    .map((line) => line.replace(/^#\s?/, ''))
    .join('\n')
    .replace(/\\\n\s*/g, ' ');
  const secrets: Record<string, Record<string, string>> = {};
  for (const [, name, literals] of commands.matchAll(
    /create secret generic ([\w.-]+)((?:\s+--from-literal=(?:\$\([^)]*\)|[^\s$])+)+)/g,
  )) {
    const data: Record<string, string> = {};
    for (const [, key, value] of literals!.matchAll(/--from-literal=([\w.-]+)=((?:\$\([^)]*\)|[^\s$])+)/g)) {
      data[key!] = value!.replace(/\$\(openssl rand -hex (\d+)\)/g, (_m, n: string) =>
        'a1'.repeat(Number(n)),
      );
    }
    secrets[name!] = data;
  }
  return secrets;
}

/**
 * A container's environment as the kubelet builds it: envFrom first, then env in order, with `$(NAME)`
 * expanded from what is defined before (`$$(` escapes; an unknown reference stays as written).
 * Secrets and ConfigMaps come from the given maps; a reference to a missing one throws.
 */
export function containerEnv(
  container: Container,
  configMaps: Record<string, Record<string, string>>,
  secrets: Record<string, Record<string, string>>,
): Record<string, string> {
  const source = (store: Record<string, Record<string, string>>, what: string, name: string) => {
    const data = store[name];
    if (!data) {
      throw new Error(`${container.name} reads ${what} ${name}, which does not exist`);
    }
    return data;
  };
  const key = (
    store: Record<string, Record<string, string>>,
    what: string,
    ref: { name: string; key: string },
  ) => {
    const value = source(store, what, ref.name)[ref.key];
    if (value === undefined) {
      throw new Error(`${container.name} reads key ${ref.key} of ${what} ${ref.name}, which has none`);
    }
    return value;
  };
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) {
      Object.assign(env, source(configMaps, 'ConfigMap', from.configMapRef.name));
    }
    if (from.secretRef) {
      Object.assign(env, source(secrets, 'Secret', from.secretRef.name));
    }
  }
  for (const v of container.env ?? []) {
    if (v.valueFrom?.secretKeyRef) {
      env[v.name] = key(secrets, 'Secret', v.valueFrom.secretKeyRef);
    } else if (v.valueFrom?.configMapKeyRef) {
      env[v.name] = key(configMaps, 'ConfigMap', v.valueFrom.configMapKeyRef);
    } else if (v.value !== undefined) {
      env[v.name] = v.value.replace(/\$\$\(|\$\((\w+)\)/g, (whole, name: string | undefined) =>
        name === undefined ? '$(' : (env[name] ?? whole),
      );
    }
  }
  return env;
}
