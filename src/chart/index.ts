/** Chart scanning: which images a chart needs, and where each was set. */
export type {
  ChartInfo,
  FindingKind,
  ImageField,
  ImageFinding,
  ImageLayout,
  ScanOptions,
  ScanResult,
  ScannedImage,
  ValuesPath,
} from './types.js';
export { loadChart, loadChartArchive, type LoadedChart, type ChartDependency, type TemplateFile } from './load.js';
export { scanCharts, groupImages, dependencyEnabled, type ScanInputs } from './scan.js';
export { scanValues, type ScanContext } from './detect.js';
export { scanManifests } from './manifests.js';
export { scanAnnotations, scanTemplateText, IMAGE_ANNOTATIONS } from './sources.js';
export { evaluateHint, parseHints } from './hints.js';
export { KNOWN_CHARTS } from './known-charts.js';
export { mergeValues, mergeLayers, subchartValues, getPath, hasPath, formatPath, type Values } from './values.js';
export { parseSetFileValues, parseSetJsonValues, parseSetValues, typedValue } from './strvals.js';
export { parseYaml, parseYamlMap, MAX_ALIAS_COUNT } from './yaml.js';
export { findPullSecretSlots, type PullSecretSlot } from './pull-secrets.js';
