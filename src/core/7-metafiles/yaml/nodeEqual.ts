/** Python `==` between a node of the old document and a new value, for the round-trip updater. */
import * as YAML from 'yaml';
import { pyEquals } from '../../1-base/python.js';
import { mappingEntries } from './scalarEvent.js';

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
    return pyEquals(node.value, value);
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
