/** Relocation: values overrides, pull secrets and runtime mirror files that point charts at the mirror. */
export type {
  ChartValues,
  GateWrite,
  GlobalDecision,
  NoPullSecret,
  PlannedImage,
  PullSecretForm,
  PullSecretWrite,
  RelocationPlan,
  UnrelocatableImage,
  ValueWrite,
} from './types.js';
export { planRelocation, relocatable, type PlanOptions } from './plan.js';
export { renderOverrides, formatPlanText, formatPlanYaml } from './render.js';
export { planPullSecrets } from './pull-secrets.js';
export { renderPullSecret, checkSecretName, type PullSecretInput } from './secret.js';
export { renderContainerdHosts, renderRegistriesConf, type EmitOptions, type EmittedFile } from './emit.js';
export { buildTree, valueAt, formatPath } from './values-tree.js';
export { collectTemplateFacts, type TemplateFacts } from './chart-values.js';
export { digestsFromLock } from './digests.js';
export { resolveMirrorDigests } from './mirror-digests.js';
export { pullSecretFormsFromComments } from './comment-forms.js';
export { readRendered, looksLikeImage, type RenderedChart, type RenderedImage, type RenderedPod } from './rendered.js';
export { checkRendered, formatCheckTable, underMirror, type CheckOptions, type CheckProblem, type CheckResult } from './check.js';
export { helmTemplate, helmTemplateArgs, renderAndCheck, type HelmTemplateInput, type RenderCheckInput } from './helm.js';
export { leftBehind, relocationReport, type LeftBehind, type RelocationReport } from './report.js';
