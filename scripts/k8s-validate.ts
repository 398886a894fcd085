// Validates Kubernetes objects against the API's OpenAPI schemas, as compiled into validators
// by the kubernetes-models packages (core and apps APIs of Kubernetes 1.27, prometheus-operator
// CRDs). Those validators check types, formats, enums and required fields but ignore fields the
// schema does not name, where the API server (strict field validation) refuses them. So each
// object is validated through a Proxy that records which keys the validator reads: a key it
// never reads is one the schema does not have, and is reported as unknown. Maps
// (`additionalProperties`, e.g. labels) are walked key by key by the validator, so their keys
// all count as read.
import * as apps from 'kubernetes-models/apps/v1';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as rbac from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as core from 'kubernetes-models/v1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

interface ModelClass {
  prototype: { validate(): void };
}

const MODELS_BY_API_VERSION: Record<string, Record<string, unknown>> = {
  v1: core,
  'apps/v1': apps,
  'networking.k8s.io/v1': networking,
  'rbac.authorization.k8s.io/v1': rbac,
  'monitoring.coreos.com/v1': monitoring,
};

interface Visited {
  path: string;
  value: object;
  read: Set<string>;
}

function track(value: unknown, visited: Visited[], path: string): unknown {
  if (value === null || typeof value !== 'object') return value;
  const read = new Set<string>();
  visited.push({ path, value, read });
  const children = new Map<string, unknown>();
  return new Proxy(value, {
    get(target, key, receiver) {
      const v: unknown = Reflect.get(target, key, receiver);
      if (typeof key !== 'string' || !Object.hasOwn(target, key)) return v;
      read.add(key);
      if (!children.has(key)) children.set(key, track(v, visited, `${path}/${key}`));
      return children.get(key);
    },
    has(target, key) {
      if (typeof key === 'string') read.add(key);
      return Reflect.has(target, key);
    },
  });
}

/**
 * The schema errors of one object (`kind name: data/path message`), empty when it is valid.
 *
 * @example
 *   validateObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { tipe: 'NodePort' } })
 *   // ['Service x: /spec/tipe is not a field of the schema']
 */
export function validateObject(object: Record<string, unknown>): string[] {
  const apiVersion = String(object.apiVersion);
  const kind = String(object.kind);
  const name = String((object.metadata as { name?: string } | undefined)?.name ?? '?');
  const where = `${kind} ${name}`;
  const Model = MODELS_BY_API_VERSION[apiVersion]?.[kind] as ModelClass | undefined;
  if (!Model) return [`${where}: no schema for ${apiVersion} ${kind}`];
  const visited: Visited[] = [];
  try {
    Model.prototype.validate.call(track(object, visited, ''));
  } catch (err) {
    return [`${where}: ${(err as Error).message}`];
  }
  const unknown: string[] = [];
  for (const { path, value, read } of visited) {
    if (Array.isArray(value)) continue;
    for (const key of Object.keys(value)) {
      if (!read.has(key)) unknown.push(`${where}: ${path}/${key} is not a field of the schema`);
    }
  }
  return unknown;
}
