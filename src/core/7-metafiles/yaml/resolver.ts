/**
 * Which tag a plain scalar gets, as ruamel.yaml's YAML 1.2 resolver (`resolver.py`) decides with
 * its first-character filters, and the `yaml` package tags that build the same values (`1_000` an
 * int, `yes` a string, `1.0` a `PyFloat`).
 */
import type * as YAML from 'yaml';
import { PyFloat } from '../../1-base/python.js';

export type ImplicitKind =
  'bool' | 'float' | 'int' | 'merge' | 'null' | 'timestamp' | 'value' | 'yaml';

const BOOL_RE = /^(?:true|True|TRUE|false|False|FALSE)$/;
const FLOAT_RE =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT_RE = /^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$/;
const MERGE_RE = /^(?:<<)$/;
const NULL_RE = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP_RE =
  /^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$/;
const VALUE_RE = /^(?:=)$/;
const YAML_RE = /^(?:!|&|\*)$/;

const RESOLVERS: ReadonlyArray<{ kind: ImplicitKind; re: RegExp; first: string | null }> = [
  { kind: 'bool', re: BOOL_RE, first: 'tTfF' },
  { kind: 'float', re: FLOAT_RE, first: '-+0123456789.' },
  { kind: 'int', re: INT_RE, first: '-+0123456789' },
  { kind: 'merge', re: MERGE_RE, first: '<' },
  { kind: 'null', re: NULL_RE, first: null },
  { kind: 'timestamp', re: TIMESTAMP_RE, first: '0123456789' },
  { kind: 'value', re: VALUE_RE, first: '=' },
  { kind: 'yaml', re: YAML_RE, first: '!&*' },
];

/** The tag ruamel's 1.2 resolver gives a plain scalar (`str` when nothing matches). */
export function resolvePlain(value: string): ImplicitKind | 'str' {
  for (const r of RESOLVERS) {
    if (r.kind === 'null') {
      if (!(value === '' || '~nN'.includes(value[0] ?? ''))) continue;
    } else if (value === '' || r.first == null || !r.first.includes(value[0] ?? '')) {
      continue;
    }
    if (r.re.test(value)) return r.kind;
  }
  return 'str';
}

function withFirst(re: RegExp, first: string): RegExp {
  const cls = first.replace(/[-\\\]^]/g, (c) => `\\${c}`);
  return new RegExp(`^(?=[${cls}])${re.source.slice(1)}`);
}

function constructInt(text: string): number | bigint {
  let s = text.replace(/_/g, '');
  let sign = 1n;
  if (s.startsWith('-')) {
    sign = -1n;
    s = s.slice(1);
  } else if (s.startsWith('+')) {
    s = s.slice(1);
  }
  let big: bigint;
  if (s.startsWith('0b')) big = BigInt(s);
  else if (s.startsWith('0x')) big = BigInt(s);
  else if (s.startsWith('0o')) big = BigInt(s);
  else big = BigInt(s === '' ? '0' : s);
  big *= sign;
  const n = Number(big);
  return Number.isSafeInteger(n) ? n : big;
}

function constructFloat(text: string): PyFloat {
  const s = text.replace(/_/g, '').toLowerCase();
  if (s.endsWith('.inf')) return new PyFloat(s.startsWith('-') ? -Infinity : Infinity);
  if (s === '.nan') return new PyFloat(NaN);
  return new PyFloat(Number(s));
}

export const RUAMEL_TAGS: YAML.ScalarTag[] = [
  {
    tag: 'tag:yaml.org,2002:bool',
    default: true,
    test: withFirst(BOOL_RE, 'tTfF'),
    resolve: (s) => s[0] === 't' || s[0] === 'T',
    identify: (v) => typeof v === 'boolean',
  },
  {
    tag: 'tag:yaml.org,2002:float',
    default: true,
    test: withFirst(FLOAT_RE, '-+0123456789.'),
    resolve: constructFloat,
    identify: (v) => v instanceof PyFloat,
  },
  {
    tag: 'tag:yaml.org,2002:int',
    default: true,
    test: withFirst(INT_RE, '-+0123456789'),
    resolve: constructInt,
    identify: (v) => typeof v === 'number' || typeof v === 'bigint',
  },
  {
    tag: 'tag:yaml.org,2002:null',
    default: true,
    test: NULL_RE,
    resolve: () => null,
    identify: (v) => v == null || v === undefined,
  },
  {
    // ruamel's safe loader builds date/datetime objects; we keep the source text.
    tag: 'tag:yaml.org,2002:timestamp',
    default: true,
    test: withFirst(TIMESTAMP_RE, '0123456789'),
    resolve: (s) => s,
  },
  {
    tag: 'tag:yaml.org,2002:value',
    default: true,
    test: VALUE_RE,
    resolve: (_s, onError) => {
      onError("could not determine a constructor for the tag 'tag:yaml.org,2002:value'");
      return null;
    },
  },
];
