/** Source → mirror mapping (pure): where each image lands under `--to HOST[:PORT][/PREFIX]`. */
export { parseTarget, formatTarget, type Target } from './target.js';
export {
  mapReference,
  mapReferences,
  parseMappingMode,
  registryPathComponent,
  MAPPING_MODES,
  type MappingMode,
} from './map.js';
