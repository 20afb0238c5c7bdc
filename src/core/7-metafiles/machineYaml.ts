import jsYaml from 'js-yaml';
import { PyFloat } from '../1-base/python.js';
import { parseYamlFile } from './yaml/parse.js';
import { mayHaveYamlAliases, yamlNestingTooDeep } from './yaml/limits.js';

/**
 * A float that is integral in value (`1.0`, `2e3`) must stay a float, as in Python, so that a
 * lock entry written back keeps `1.0` and run-cache keys match DVC's.
 */
const builtinFloat = (jsYaml as unknown as { types: { float: jsYaml.Type } }).types.float;

const floatType = new jsYaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: string) => builtinFloat.resolve(data),
  construct: (data: string) => {
    const value = builtinFloat.construct(data) as number;
    return Number.isInteger(value) ? new PyFloat(value) : value;
  },
  instanceOf: PyFloat,
  represent: (object: object) => String((object as PyFloat).value),
});

const MACHINE_SCHEMA = jsYaml.CORE_SCHEMA.extend({ implicit: [floatType] });

/**
 * Fast loading of the YAML files Sluice and DVC write themselves (dvc.lock, run-cache entries):
 * js-yaml is an order of magnitude faster than the round-trip parser, which matters for a
 * 1,000-stage lock. On any error the round-trip parser is asked again, for its precise message.
 */
export function loadMachineYaml(text: string, fileLabel: string): unknown {
  // js-yaml shares aliased values and has no alias limit: anything unusual goes to the
  // round-trip parser, which refuses YAML bombs and deep nesting.
  if (mayHaveYamlAliases(text) || yamlNestingTooDeep(text))
    return parseYamlFile(text, fileLabel).data;
  try {
    return jsYaml.load(text, { schema: MACHINE_SCHEMA, json: false }) ?? {};
  } catch {
    return parseYamlFile(text, fileLabel).data;
  }
}
