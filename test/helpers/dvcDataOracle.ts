import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { dvcBinary, requireTool } from './tools.js';

export interface ListingEntry {
  md5: string;
  relpath: string;
}

/**
 * DVC's own `.dir` code (dvc_data's Tree) run on a batch of listings, in one python process:
 * `write` gives the bytes DVC stores for a listing, `read` the entries DVC reads from bytes,
 * in the order it keeps them. Strings travel as JSON, bytes as base64.
 */
const SCRIPT = `
import base64, json, sys
from dvc_data.hashfile.tree import Tree
out = []
for case in json.load(sys.stdin):
    try:
        if case['op'] == 'write':
            tree = Tree.from_list(case['entries'])
            out.append({'bytes': base64.b64encode(tree.as_bytes()).decode()})
        else:
            raw = json.loads(base64.b64decode(case['bytes']).decode('utf-8'))
            tree = Tree.from_list(raw)
            out.append({'entries': [{'md5': e['md5'], 'relpath': e['relpath']} for e in tree.as_list()]})
    except Exception as exc:
        out.append({'error': type(exc).__name__ + ': ' + str(exc)})
json.dump(out, sys.stdout)
`;

export type DirOracleCase =
  { op: 'write'; entries: ListingEntry[] } | { op: 'read'; bytes: Buffer };

export interface DirOracleAnswer {
  bytes?: Buffer;
  entries?: ListingEntry[];
  error?: string;
}

export function dvcDataDir(cases: DirOracleCase[]): DirOracleAnswer[] {
  const python = join(requireTool(dvcBinary, 'scripts/ensure-tools.sh'), '..', 'python');
  const input = JSON.stringify(
    cases.map((c) => (c.op === 'write' ? c : { op: 'read', bytes: c.bytes.toString('base64') })),
  );
  const out = execFileSync(python, ['-c', SCRIPT], { input, maxBuffer: 1 << 28 });
  const answers = JSON.parse(out.toString('utf8')) as Array<{
    bytes?: string;
    entries?: ListingEntry[];
    error?: string;
  }>;
  return answers.map((a) => ({
    ...(a.bytes === undefined ? {} : { bytes: Buffer.from(a.bytes, 'base64') }),
    ...(a.entries === undefined ? {} : { entries: a.entries }),
    ...(a.error === undefined ? {} : { error: a.error }),
  }));
}
