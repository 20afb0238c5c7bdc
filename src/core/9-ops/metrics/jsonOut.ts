import { PyFloat } from '../../1-base/python.js';
import { pyJsonFloat, pyJsonString } from '../../1-base/pyjson.js';

/**
 * Python's `json.dumps(value)` with default settings, keeping insertion order (DVC's
 * `ui.write_json` does not sort keys): `, ` and `: ` separators, floats as Python prints them,
 * non-ASCII escaped.
 */
export function pyJsonOut(value: unknown): string {
  const out: string[] = [];
  dump(value, out);
  return out.join('');
}

function dump(value: unknown, out: string[]): void {
  if (value === null || value === undefined) out.push('null');
  else if (typeof value === 'boolean') out.push(value ? 'true' : 'false');
  else if (typeof value === 'number')
    out.push(Number.isInteger(value) ? String(value) : pyJsonFloat(value));
  else if (value instanceof PyFloat) out.push(pyJsonFloat(value.value));
  else if (typeof value === 'string') out.push(pyJsonString(value));
  else if (typeof value === 'bigint') out.push(value.toString());
  else if (value instanceof Date) out.push(pyJsonString(value.toISOString()));
  else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i > 0) out.push(', ');
      dump(item, out);
    });
    out.push(']');
  } else if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(
      ([, v]) => v !== undefined,
    );
    out.push('{');
    entries.forEach(([k, v], i) => {
      if (i > 0) out.push(', ');
      out.push(pyJsonString(k), ': ');
      dump(v, out);
    });
    out.push('}');
  } else out.push('null');
}
