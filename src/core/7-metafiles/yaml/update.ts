/**
 * Round-trip update of a YAML metafile, as DVC's `modify_yaml` + `apply_diff` (dvc.utils.collections)
 * does on the old ruamel document: only the entries that changed are rewritten.
 */
import * as YAML from 'yaml';
import { dumpItemFragment, dumpPairFragment, dumpYaml } from './dump.js';
import { kindOfNode, kindOfValue, nodeEqual } from './nodeEqual.js';
import { parseDoc } from './parse.js';
import { mappingEntries, type Mapping } from './scalarEvent.js';

interface Edit {
  start: number;
  end: number;
  text: string;
}

class NeedsParentReplace extends Error {}

class Updater {
  readonly edits: Edit[] = [];
  constructor(private readonly src: string) {}

  lineStart(pos: number): number {
    return this.src.lastIndexOf('\n', pos - 1) + 1;
  }

  column(pos: number): number {
    return pos - this.lineStart(pos);
  }

  /** Offset just after the end of the line containing `pos` (after its "\n"). */
  lineEnd(pos: number): number {
    const nl = this.src.indexOf('\n', pos);
    return nl === -1 ? this.src.length : nl + 1;
  }

  /** Last offset of real content of a node (trailing spaces and newlines trimmed). */
  contentEnd(node: YAML.Node | null, fallback: number): number {
    const r = node?.range;
    if (r === undefined || r == null) return fallback;
    let end = Math.max(r[1], fallback);
    while (end > 0 && ' \t\r\n'.includes(this.src[end - 1] ?? '')) end--;
    return Math.max(end, fallback);
  }

  isFlow(node: unknown): boolean {
    return (YAML.isMap(node) || YAML.isSeq(node)) && node.flow === true;
  }

  isAtLineStart(pos: number): boolean {
    return this.src.slice(this.lineStart(pos), pos).trim() === '';
  }

  pairKeyStart(pair: YAML.Pair): number {
    const k = pair.key as YAML.Node;
    return k.range?.[0] ?? 0;
  }

  pairEnd(pair: YAML.Pair): number {
    const k = pair.key as YAML.Node;
    const keyEnd = k.range?.[1] ?? 0;
    return this.contentEnd(pair.value as YAML.Node | null, keyEnd + 1);
  }

  diffMap(map: YAML.YAMLMap, entries: Mapping): void {
    if (this.isFlow(map)) {
      // An unchanged flow mapping (`meta: {k: v}`) stays as written, like a flow sequence.
      if (nodeEqual(map, new Map(entries))) return;
      throw new NeedsParentReplace();
    }
    const pairs = map.items;
    const byKey = new Map<string, number>();
    pairs.forEach((p, i) => {
      if (!YAML.isScalar(p.key)) throw new NeedsParentReplace();
      byKey.set(String(p.key.value), i);
    });
    if (pairs.length === 0) throw new NeedsParentReplace();
    const first = pairs[0];
    if (first === undefined) throw new NeedsParentReplace();
    const keyColumn = this.column(this.pairKeyStart(first));
    const appended: string[] = [];
    const newKeys = new Set<string>();
    for (const [k, v] of entries) {
      const key = String(k);
      newKeys.add(key);
      const idx = byKey.get(key);
      if (idx === undefined) {
        appended.push(' '.repeat(keyColumn) + dumpPairFragment(key, v, keyColumn));
        continue;
      }
      const pair = pairs[idx];
      if (pair === undefined) continue;
      const vk = kindOfValue(v);
      const nk = kindOfNode(pair.value);
      if ((vk === 'map' || vk === 'seq') && vk === nk) {
        try {
          if (vk === 'map') this.diffMap(pair.value as YAML.YAMLMap, mappingEntries(v) ?? []);
          else this.diffSeq(pair.value as YAML.YAMLSeq, v as unknown[]);
        } catch (e) {
          if (!(e instanceof NeedsParentReplace)) throw e;
          this.replacePair(pair, key, v, keyColumn);
        }
      } else if (!nodeEqual(pair.value, v)) {
        this.replacePair(pair, key, v, keyColumn);
      }
    }
    const removed = pairs
      .map((p, i) => [p, i] as const)
      .filter(([p]) => !newKeys.has(String((p.key as YAML.Scalar).value)));
    const removedIdx = new Set(removed.map(([, i]) => i));
    const firstStart = this.pairKeyStart(first);
    if (removedIdx.has(0) && !this.isAtLineStart(firstStart)) {
      // The first key shares its line with the `- ` of a sequence item: the next surviving key
      // (or the first appended one) moves up onto that line, as ruamel does.
      const survivor = pairs.findIndex((_p, i) => !removedIdx.has(i));
      if (survivor === -1) {
        if (appended.length === 0) throw new NeedsParentReplace();
        const last = pairs[pairs.length - 1];
        if (last === undefined) throw new NeedsParentReplace();
        const end = this.lineEnd(this.pairEnd(last));
        this.edits.push({ start: firstStart, end, text: appended.join('').slice(keyColumn) });
        return;
      }
      const next = pairs[survivor];
      if (next === undefined) throw new NeedsParentReplace();
      this.edits.push({ start: firstStart, end: this.pairKeyStart(next), text: '' });
      for (let i = 0; i < survivor; i++) removedIdx.delete(i);
    }
    for (const i of removedIdx) {
      const pair = pairs[i];
      if (pair === undefined) continue;
      const start = this.pairKeyStart(pair);
      if (!this.isAtLineStart(start)) throw new NeedsParentReplace();
      const next = pairs[i + 1];
      const end =
        next !== undefined
          ? this.lineStart(this.pairKeyStart(next))
          : this.lineEnd(this.pairEnd(pair));
      this.edits.push({ start: this.lineStart(start), end, text: '' });
    }
    if (appended.length > 0) {
      const last = pairs[pairs.length - 1];
      if (last === undefined) throw new NeedsParentReplace();
      const at = this.lineEnd(this.pairEnd(last));
      const prefix = at === this.src.length && !this.src.endsWith('\n') ? '\n' : '';
      this.edits.push({ start: at, end: at, text: prefix + appended.join('') });
    }
  }

  diffSeq(seq: YAML.YAMLSeq, values: readonly unknown[]): void {
    if (this.isFlow(seq)) {
      if (
        values.length === seq.items.length &&
        seq.items.every((it, i) => nodeEqual(it, values[i]))
      )
        return;
      throw new NeedsParentReplace();
    }
    if (values.length !== seq.items.length) throw new NeedsParentReplace();
    seq.items.forEach((item, i) => {
      const v = values[i];
      const vk = kindOfValue(v);
      const nk = kindOfNode(item);
      if ((vk === 'map' || vk === 'seq') && vk === nk) {
        try {
          if (vk === 'map') this.diffMap(item as YAML.YAMLMap, mappingEntries(v) ?? []);
          else this.diffSeq(item as YAML.YAMLSeq, v as unknown[]);
        } catch (e) {
          if (!(e instanceof NeedsParentReplace)) throw e;
          this.replaceItem(item as YAML.Node, v);
        }
      } else if (!nodeEqual(item, v)) {
        this.replaceItem(item as YAML.Node | null, v);
      }
    });
  }

  replacePair(pair: YAML.Pair, key: string, value: unknown, keyColumn: number): void {
    const start = this.pairKeyStart(pair);
    const end = this.pairEnd(pair);
    const text = dumpPairFragment(key, value, keyColumn).replace(/\n$/, '');
    this.edits.push({ start, end, text });
  }

  replaceItem(item: YAML.Node | null, value: unknown): void {
    const itemStart = item?.range?.[0];
    if (itemStart === undefined) throw new NeedsParentReplace();
    const dash = this.src.lastIndexOf('-', itemStart - 1);
    if (dash < 0) throw new NeedsParentReplace();
    const end = this.contentEnd(item, dash + 1);
    const text = dumpItemFragment(value, this.column(dash)).replace(/\n$/, '');
    this.edits.push({ start: dash, end, text });
  }
}

/**
 * Rewrite `oldText` so that it holds `newData`, the way DVC's `modify_yaml` + `apply_diff` does:
 * existing keys keep their position and comments, new keys are appended to their mapping, removed
 * keys disappear, and lists whose length changed are replaced wholesale. Lines that are not touched
 * by the change stay byte-identical.
 */
export function updateYamlText(oldText: string, newData: unknown): string {
  const lc = new YAML.LineCounter();
  const doc = parseDoc(oldText, lc);
  const root = doc.contents;
  const entries = mappingEntries(newData);
  if (doc.errors.length > 0 || !YAML.isMap(root) || entries === undefined) return dumpYaml(newData);
  const up = new Updater(oldText);
  try {
    up.diffMap(root, entries);
  } catch (e) {
    if (e instanceof NeedsParentReplace) return dumpYaml(newData);
    throw e;
  }
  // Inserts at the same offset must keep their push order (inner edits before outer appends).
  const edits = up.edits
    .map((ed, i) => ({ ...ed, i }))
    .sort((a, b) => b.start - a.start || b.end - a.end || b.i - a.i);
  let text = oldText;
  let lastStart = Infinity;
  for (const ed of edits) {
    if (ed.end > lastStart) return dumpYaml(newData); // overlapping edits: give up on preservation
    text = text.slice(0, ed.start) + ed.text + text.slice(ed.end);
    lastStart = ed.start;
  }
  return text;
}

/**
 * Replace (wholesale) or append entries of the block mapping found at `path` in `oldText`, keeping
 * every other byte. This is what `data[key] = value` followed by a round-trip dump does in DVC for
 * dvc.lock stages. Returns undefined when the old text does not have that shape.
 */
export function setMappingEntries(
  oldText: string,
  path: readonly string[],
  updates: ReadonlyArray<readonly [string, unknown]>,
): string | undefined {
  const doc = parseDoc(oldText, new YAML.LineCounter());
  if (doc.errors.length > 0) return undefined;
  let node: unknown = doc.contents;
  for (const step of path) {
    if (!YAML.isMap(node) || node.flow === true) return undefined;
    const pair = node.items.find((p) => YAML.isScalar(p.key) && String(p.key.value) === step);
    if (pair === undefined) return undefined;
    node = pair.value;
  }
  if (!YAML.isMap(node) || node.flow === true || node.items.length === 0) return undefined;
  const up = new Updater(oldText);
  const first = node.items[0];
  const last = node.items[node.items.length - 1];
  if (first === undefined || last === undefined) return undefined;
  const keyColumn = up.column(up.pairKeyStart(first));
  const appended: string[] = [];
  for (const [key, value] of updates) {
    const pair = node.items.find((p) => YAML.isScalar(p.key) && String(p.key.value) === key);
    if (pair === undefined)
      appended.push(' '.repeat(keyColumn) + dumpPairFragment(key, value, keyColumn));
    else up.replacePair(pair, key, value, keyColumn);
  }
  if (appended.length > 0) {
    const at = up.lineEnd(up.pairEnd(last));
    const prefix = at === oldText.length && !oldText.endsWith('\n') ? '\n' : '';
    up.edits.push({ start: at, end: at, text: prefix + appended.join('') });
  }
  let text = oldText;
  for (const ed of [...up.edits].sort((a, b) => b.start - a.start)) {
    text = text.slice(0, ed.start) + ed.text + text.slice(ed.end);
  }
  return text;
}
