import { PyFloat } from './python.js';

/**
 * A parsed YAML/JSON mapping: an object that is not null, an array, or one of the value objects
 * the parsers make for numbers JavaScript cannot hold exactly (PyFloat).
 */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof PyFloat)
  );
}
