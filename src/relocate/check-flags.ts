/**
 * The flags of `airlift relocate` that only make sense together (--secret-out with --username and
 * --password-stdin, --emit with --emit-dir, --helm with --check, …): a UsageError naming the flag
 * and what to add, before any chart is read.
 */
import { UsageError } from '../errors.js';
import type { RelocateOptions } from './run.js';
import { checkSecretName } from './secret.js';

export function checkRelocateFlags(f: RelocateOptions): void {
  if (f.lock && !f.digests) throw new UsageError('--lock is used only with --digests', { hint: 'add --digests to pin the digests the lock records' });
  if (f.secretOut) {
    if (!f.username) throw new UsageError('--secret-out needs --username', { hint: 'give the mirror user name with --username and the password with --password-stdin' });
    if (!f.passwordStdin) throw new UsageError('--secret-out needs --password-stdin', { hint: 'pipe the password in: echo "$PASS" | airlift relocate ... --password-stdin' });
  } else if (f.username || f.passwordStdin) {
    throw new UsageError('--username and --password-stdin are used only with --secret-out', { hint: 'add --secret-out FILE to write the pull Secret' });
  }
  if (f.emit && !f.emitDir) throw new UsageError(`--emit ${f.emit} needs --emit-dir DIR`, { hint: 'give the directory to write the runtime mirror files into' });
  if (f.report === '-' && (f.dryRun || !f.output || f.output === '-')) {
    throw new UsageError('--report - needs stdout, which the overrides (or the --dry-run plan) already use', { hint: 'write the overrides to a file with -o FILE, or the report with --report FILE' });
  }
  if (f.helm && !f.check) throw new UsageError('--helm is used only with --check', { hint: 'add --check to render the relocated chart with this helm' });
  if (f.kubeVersion && !f.check) throw new UsageError('--kube-version is used only with --check', { hint: 'add --check to render the relocated chart for this Kubernetes version' });
  if (f.emitDir && !f.emit) throw new UsageError('--emit-dir is used only with --emit', { hint: 'add --emit containerd or --emit registries-conf' });
  for (const n of f.pullSecret) checkSecretName(n, '--pull-secret');
  if (f.namespace !== undefined) checkSecretName(f.namespace, '--namespace');
}
