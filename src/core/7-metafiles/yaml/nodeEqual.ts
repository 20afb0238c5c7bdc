/** Python `==` between a node of the old document and a new value, for the round-trip updater. */
import * as YAML from 'yaml';
import { PyFloat } from '../../1-base/pyjson.js';
import { mappingEntries } from './scalarEvent.js';

/** Python `==` for the scalar values we produce (1 == 1.0 == True). */
function pyScalarEqual(a: unknown, b: unknown): boolean {
  const num = (v: unknown): number | bigint | undefined => {
    if (typeof v === 'number' || typeof v === 'bigint') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (v instanceof PyFloat) return v.value;
    return undefined;
  };
  const na = num(a);
  const nb = num(b);
  if (na !== undefined && nb !== undefined) {
    // eslint-disable-next-line eqeqeq -- loose equality compares number with bigint by value
    return na == nb;
  }
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  return a === b;
}

export type PyKind = 'str' | 'map' | 'seq' | 'bool' | 'other';

export function kindOfValue(v: unknown): PyKind {
  if (typeof v === 'string') return 'str';
  if (typeof v === 'boolean') return 'bool';
  if (Array.isArray(v)) return 'seq';
  if (mappingEntries(v) !== undefined) return 'map';
  return 'other';
}

export function kindOfNode(n: unknown): PyKind {
  if (YAML.isMap(n)) return 'map';
  if (YAML.isSeq(n)) return 'seq';
  if (YAML.isScalar(n)) return kindOfValue(n.value);
  return 'other';
}

export function nodeEqual(node: unknown, value: unknown): boolean {
  if (YAML.isScalar(node)) {
    const k = kindOfValue(value);
    if (k === 'seq' || k === 'map') return false;
    return pyScalarEqual(node.value, value);
  }
  if (YAML.isSeq(node)) {
    if (!Array.isArray(value) || value.length !== node.items.length) return false;
    return node.items.every((item, i) => nodeEqual(item, value[i]));
  }
  if (YAML.isMap(node)) {
    const entries = mappingEntries(value);
    if (entries === undefined || entries.length !== node.items.length) return false;
    const m = new Map(entries.map(([k, v]) => [String(k), v]));
    return node.items.every((p) => {
      const key = YAML.isScalar(p.key) ? String(p.key.value) : undefined;
      return key !== undefined && m.has(key) && nodeEqual(p.value, m.get(key));
    });
  }
  return false;
}
