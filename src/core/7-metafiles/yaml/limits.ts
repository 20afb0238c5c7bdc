import { isAlias, isMap, isPair, isSeq, type Document } from 'yaml';

/**
 * Bounds on hostile YAML (metafiles and params files come from commits anyone can make): deep
 * nesting would overflow the parser's recursion, and a "billion laughs" document (aliases of
 * aliases) expands to more nodes than memory holds. Both are refused with a reason before any
 * code converts the document to values.
 */

export const MAX_YAML_DEPTH = 1000;
/** Nodes of a document once every alias is expanded; real metafiles have a few thousand. */
export const MAX_YAML_EXPANDED_NODES = 1_000_000;

export const NESTING_TOO_DEEP = 'YAML file structure is corrupted: nesting is too deep';
export const TOO_MANY_ALIASES =
  'YAML file structure is corrupted: its aliases expand to too many nodes (a YAML bomb?)';

/**
 * A scan of the raw text, cheap enough for every parse: flow brackets nested deeper than
 * MAX_YAML_DEPTH, or block indentation deeper than twice that many columns.
 */
export function yamlNestingTooDeep(text: string): boolean {
  let depth = 0;
  let inSingle = false;
  let inDouble = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inDouble) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inDouble = false;
      continue;
    }
    if (inSingle) {
      if (c === 0x27) inSingle = false;
      continue;
    }
    if (c === 0x5b || c === 0x7b) {
      if (++depth > MAX_YAML_DEPTH) return true;
    } else if (c === 0x5d || c === 0x7d) {
      if (depth > 0) depth--;
    } else if (c === 0x0a) {
      let j = i + 1;
      while (j < text.length && (text.charCodeAt(j) === 0x20 || text.charCodeAt(j) === 0x2d)) j++;
      if (j - i - 1 > MAX_YAML_DEPTH * 2) return true;
    }
  }
  return false;
}

/**
 * Could this text hold an anchor or an alias? Files Sluice and DVC write never do, so a fast
 * loader that shares aliased values can be used only when this is false.
 */
export function mayHaveYamlAliases(text: string): boolean {
  return /(^|[\s,[{])[&*][^\s,\]}]/m.test(text);
}

/**
 * Why a parsed document must be refused, or undefined: it counts the nodes the document has
 * once its aliases are expanded (memoised per node, so the count itself stays linear).
 */
export function yamlDocumentProblem(doc: Document): string | undefined {
  const sizes = new Map<unknown, number>();
  const active = new Set<unknown>();
  let problem: string | undefined;
  const size = (node: unknown, depth: number): number => {
    if (problem !== undefined) return 0;
    if (depth > MAX_YAML_DEPTH * 4) {
      problem = NESTING_TOO_DEEP;
      return 0;
    }
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (target === undefined || active.has(target)) {
        problem = 'YAML file structure is corrupted: an alias refers to itself';
        return 0;
      }
      return size(target, depth + 1);
    }
    if (node === null || typeof node !== 'object') return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    active.add(node);
    let total = 1;
    if (isMap(node) || isSeq(node)) {
      for (const item of node.items as unknown[]) {
        if (isPair(item)) total += size(item.key, depth + 1) + size(item.value, depth + 1);
        else total += size(item, depth + 1);
        if (total > MAX_YAML_EXPANDED_NODES) {
          problem = TOO_MANY_ALIASES;
          break;
        }
      }
    }
    active.delete(node);
    sizes.set(node, total);
    return total;
  };
  size(doc.contents, 0);
  return problem;
}
