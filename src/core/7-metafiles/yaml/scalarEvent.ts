/**
 * The scalar event ruamel's representer makes of a value: its text as Python prints it, and
 * whether that text, written plain, would read back as the same type.
 */
import { PyFloat, pyFloatRepr } from '../../1-base/python.js';
import { resolvePlain } from './resolver.js';

function floatText(x: number): string {
  if (Number.isNaN(x)) return '.nan';
  if (x === Infinity) return '.inf';
  if (x === -Infinity) return '-.inf';
  return pyFloatRepr(x).toLowerCase();
}

export interface ScalarEvent {
  value: string;
  /** implicit[0]: the plain text would resolve back to the same tag. */
  plainImplicit: boolean;
  isNull: boolean;
}

export type Mapping = ReadonlyArray<readonly [unknown, unknown]>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v == null || typeof v !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto == null;
}

export function mappingEntries(v: unknown): Mapping | undefined {
  if (v instanceof Map) return [...(v as Map<unknown, unknown>).entries()];
  if (isPlainObject(v)) return Object.entries(v);
  return undefined;
}

export function scalarEvent(v: unknown): ScalarEvent | undefined {
  if (v == null || v === undefined) return { value: '', plainImplicit: true, isNull: true };
  if (typeof v === 'boolean')
    return { value: v ? 'true' : 'false', plainImplicit: true, isNull: false };
  if (typeof v === 'bigint') return { value: v.toString(), plainImplicit: true, isNull: false };
  if (typeof v === 'number') {
    const text = Number.isInteger(v) && !Object.is(v, -0) ? String(v) : floatText(v);
    // Integers beyond 1e21 would be printed in exponent form by String(); go through BigInt.
    const safe = Number.isInteger(v) && Math.abs(v) >= 1e21 ? BigInt(v).toString() : text;
    return { value: safe, plainImplicit: true, isNull: false };
  }
  if (v instanceof PyFloat)
    return { value: floatText(v.value), plainImplicit: true, isNull: false };
  if (typeof v === 'string')
    return { value: v, plainImplicit: resolvePlain(v) === 'str', isNull: false };
  if (v instanceof Date) return { value: v.toISOString(), plainImplicit: false, isNull: false };
  return undefined;
}
