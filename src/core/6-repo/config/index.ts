/** DVC's configuration: where its files are, their path rules, its schema, and `Config`. */
export {
  Config,
  type ConfigEditOptions,
  type ConfigEntry,
  type ConfigLoadOptions,
} from './config.js';
export { CONFIG_LEVELS, configFilePath, configFilePaths, type ConfigLevel } from './locations.js';
export { configName, formatConfigValue, parseBool, parseConfigName } from './names.js';
export { isPathOption, resolveConfigPathForRead, resolveConfigPathForWrite } from './paths.js';
export { parseCacheTypes, validateConfig } from './schema.js';
