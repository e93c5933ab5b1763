export { defaultCacheDir } from './cache-dir';
export { type ConfigIssue, loadConfig } from './load';
export {
  DEVICE_PREFERENCES,
  type DevicePreference,
  ENGINE_CHOICES,
  type EngineChoice,
  type RerankerConfig,
  TRUNCATIONS,
  type Truncation,
} from './types';
export { CONFIG_VARIABLES, type ConfigVariable } from './variables';
