/**
 * The Kubernetes manifests render with the real `kubectl kustomize`, and what
 * they render runs real airlift command lines (checked against the CLI's own
 * --help), with the security context, schedule policy and sharding they claim.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig, validateConfig } from '../../../src/config/index.js';
import { parseShard } from '../../../src/shard/index.js';
import { parseAgainstCli, type ParsedArgv } from './cli-grammar.js';
import { kustomize, podSpecOf, type K8sObject } from './render.js';

const ROOT = path.resolve(import.meta.dirname, '../../../manifests');
const dir = (d: string) => path.join(ROOT, d);

function find(objs: K8sObject[], kind: string, name?: string): K8sObject {
  const o = objs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
  if (!o) throw new Error(`no ${kind}${name ? ` ${name}` : ''} in [${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}]`);
  return o;
}

function airliftContainer(o: K8sObject): any {
  const containers = podSpecOf(o).containers as any[];
  expect(containers).toHaveLength(1);
  const c = containers[0];
  expect(c.command, `${o.kind} ${o.metadata.name} runs airlift`).toEqual(['airlift']);
  expect(c.image).toBe('airlift:0.1.0');
  return c;
}

async function argvOf(o: K8sObject): Promise<ParsedArgv> {
  return parseAgainstCli(airliftContainer(o).args as string[]);
}

function mountOf(c: any, mountPath: string): any {
  const m = (c.volumeMounts as any[]).find((v) => v.mountPath === mountPath);
  if (!m) throw new Error(`no volume mounted at ${mountPath}`);
  return m;
}

function volume(o: K8sObject, name: string): any {
  const v = (podSpecOf(o).volumes as any[]).find((x) => x.name === name);
  if (!v) throw new Error(`${o.metadata.name}: no volume ${name}`);
  return v;
}

function env(c: any, name: string): any {
  return (c.env as any[] | undefined)?.find((e) => e.name === name);
}

/** Pod and container security settings every airlift pod must have. */
function expectHardened(o: K8sObject): void {
  const pod = podSpecOf(o);
  expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
  expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
  expect(pod.automountServiceAccountToken).toBe(false);
  for (const c of pod.containers as any[]) {
    expect(c.securityContext, `${o.metadata.name}/${c.name}`).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    // read-only root: the only writable place for temporary files is an emptyDir at /tmp
    expect(volume(o, mountOf(c, '/tmp').name).emptyDir).toBeDefined();
    expect(c.resources.requests.memory).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
  }
}

/** Registry credentials: the dockerconfigjson Secret as $DOCKER_CONFIG/config.json. */
function expectDockerConfig(o: K8sObject): void {
  const c = airliftContainer(o);
  const dockerDir = env(c, 'DOCKER_CONFIG')?.value as string;
  expect(dockerDir).toBeTruthy();
  const v = volume(o, mountOf(c, dockerDir).name);
  expect(v.secret.secretName).toBe('airlift-registry-credentials');
  expect(v.secret.items).toEqual([{ key: '.dockerconfigjson', path: 'config.json' }]);
}

describe('manifests (kubectl kustomize)', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'airlift-manifests-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('manifests/ renders the base: the config ConfigMap and the sync CronJob', () => {
    const top = kustomize(ROOT);
    expect(top.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'CronJob']);
    expect(kustomize(dir('base'))).toEqual(top);
  });

  it('the CronJob runs `airlift --json sync --config` from the ConfigMap, never two at once', async () => {
    const objs = kustomize(dir('base'));
    const cron = find(objs, 'CronJob', 'airlift-sync');
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    expect(cron.spec.jobTemplate.spec.template.spec.restartPolicy).toBe('Never');

    const argv = await argvOf(cron);
    expect(argv.command).toEqual(['sync']);
    expect(argv.options.get('--json')).toEqual(['']);
    const config = argv.options.get('--config')?.[0];
    expect(config).toBe('/etc/airlift/airlift.yaml');

    // the config file is the ConfigMap's key, through the volume mounted at its directory
    const c = airliftContainer(cron);
    const cmName = volume(cron, mountOf(c, path.dirname(config!)).name).configMap.name as string;
    const cm = find(objs, 'ConfigMap', cmName);
    expect(cm.data?.[path.basename(config!)]).toBe(await readFile(dir('base/airlift.yaml'), 'utf8'));

    expectDockerConfig(cron);
    expectHardened(cron);
    // sized from the benchmark's peak RSS (see manifests/README.md)
    expect(c.resources.requests.memory).toBe('256Mi');
    expect(c.resources.limits.memory).toBe('512Mi');
  });

  it('the import Job runs `airlift load` on a bundle from a PersistentVolumeClaim', async () => {
    const objs = kustomize(dir('import'));
    expect(objs.map((o) => o.kind).sort()).toEqual(['Job', 'PersistentVolumeClaim']);
    const job = find(objs, 'Job', 'airlift-import');
    const argv = await argvOf(job);
    expect(argv.command).toEqual(['load']);
    expect(argv.positionals).toHaveLength(1);
    expect(argv.options.get('--to')).toHaveLength(1);
    const bundle = argv.positionals[0]!;
    const c = airliftContainer(job);
    const v = volume(job, mountOf(c, path.dirname(bundle)).name);
    expect(find(objs, 'PersistentVolumeClaim', v.persistentVolumeClaim.claimName)).toBeDefined();
    const lockOut = argv.options.get('--lock-out')?.[0];
    expect(lockOut && path.dirname(lockOut)).toBe(path.dirname(bundle));
    expectDockerConfig(job);
    expectHardened(job);
  });

  it('the sharded variant is an Indexed Job of N pods, pod i running --shard i/N with its own lock', async () => {
    const objs = kustomize(dir('sharded'));
    expect(objs.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Job', 'PersistentVolumeClaim']);
    const job = find(objs, 'Job', 'airlift-sync-sharded');
    expect(job.spec.completionMode).toBe('Indexed');
    const n = job.spec.completions as number;
    expect(n).toBeGreaterThan(1);
    expect(job.spec.parallelism).toBe(n);

    const argv = await argvOf(job);
    expect(argv.command).toEqual(['sync']);
    expect(argv.options.get('--config')).toEqual(['/etc/airlift/airlift.yaml']);
    const shard = argv.options.get('--shard')?.[0];
    expect(shard).toBe(`$(JOB_COMPLETION_INDEX)/${n}`);
    const lockOut = argv.options.get('--lock-out')?.[0];
    expect(lockOut).toContain('$(JOB_COMPLETION_INDEX)');

    // $(VAR) expands only from env declared on the container: check it is, from the index annotation
    const c = airliftContainer(job);
    expect(env(c, 'JOB_COMPLETION_INDEX').valueFrom.fieldRef.fieldPath).toBe(
      "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    );
    // every index gives a valid shard, and distinct lock files on the shared volume
    const locks = new Set<string>();
    for (let i = 0; i < n; i++) {
      expect(parseShard(shard!.replace('$(JOB_COMPLETION_INDEX)', String(i)))).toEqual({ index: i, count: n });
      locks.add(lockOut!.replace('$(JOB_COMPLETION_INDEX)', String(i)));
    }
    expect(locks.size).toBe(n);
    const pvc = volume(job, mountOf(c, path.dirname(lockOut!)).name).persistentVolumeClaim.claimName as string;
    expect(find(objs, 'PersistentVolumeClaim', pvc).spec.accessModes).toContain('ReadWriteMany');
    expectDockerConfig(job);
    expectHardened(job);

    // the merge step reads exactly the N shard locks from the same volume
    const merge = find(kustomize(dir('sharded/merge')), 'Job', 'airlift-lock-merge');
    const margv = await argvOf(merge);
    expect(margv.command).toEqual(['lock', 'merge']);
    expect(new Set(margv.positionals)).toEqual(locks);
    expect(margv.options.get('--output')).toHaveLength(1);
    expect(volume(merge, mountOf(airliftContainer(merge), path.dirname(lockOut!)).name).persistentVolumeClaim.claimName).toBe(pvc);
    expectHardened(merge);
  });

  it('the ca-bundle component passes --ca-file with the mounted CA to every airlift container', async () => {
    const overlay = path.join(tmp, 'with-ca');
    await import('node:fs/promises').then((fs) => fs.mkdir(overlay));
    const rel = (d: string) => path.relative(overlay, dir(d));
    await writeFile(
      path.join(overlay, 'kustomization.yaml'),
      `resources: [${rel('base')}, ${rel('import')}]\ncomponents: [${rel('components/ca-bundle')}]\n`,
    );
    const objs = kustomize(overlay).filter((o) => o.kind === 'CronJob' || o.kind === 'Job');
    expect(objs).toHaveLength(2);
    for (const o of objs) {
      const argv = await argvOf(o);
      const ca = argv.options.get('--ca-file');
      expect(ca).toHaveLength(1);
      const v = volume(o, mountOf(airliftContainer(o), path.dirname(ca![0]!)).name);
      expect(v.configMap.name).toBe('airlift-ca');
      expect(v.configMap.items).toEqual([{ key: path.basename(ca![0]!), path: path.basename(ca![0]!) }]);
      expectHardened(o);
    }
  });

  it('the example config is a valid airlift.yaml', async () => {
    const cfg = await readConfig(dir('base/airlift.yaml'));
    expect(cfg.targetText).toBe('mirror.internal:5000/platform');
    expect(cfg.images.length).toBeGreaterThan(0);
    expect(cfg.platforms.length).toBeGreaterThan(0);
  });

  it('airlift-config.schema.json names exactly the fields the config reader accepts', async () => {
    const schema = JSON.parse(await readFile(path.join(ROOT, 'airlift-config.schema.json'), 'utf8'));
    // The reader lists the fields it accepts when it meets an unknown one.
    const accepted = (doc: Record<string, unknown>): string[] => {
      try {
        validateConfig(doc, 'probe.yaml');
      } catch (e) {
        const m = /expected one of ([\w, ]+)/.exec((e as Error).message);
        if (m) return m[1]!.split(', ').sort();
        throw e;
      }
      throw new Error('the config reader accepted an unknown field');
    };
    expect(Object.keys(schema.properties).sort()).toEqual(accepted({ images: ['a/b:1'], bogus: 1 }));
    const chartSchema = schema.properties.charts.items.oneOf.find((x: { type: string }) => x.type === 'object');
    expect(Object.keys(chartSchema.properties).sort()).toEqual(accepted({ charts: [{ path: 'c', bogus: 1 }] }));
    expect(schema.properties.mapping.enum).toEqual(['default', 'preserve-registry', 'flatten']);
    // and the example config uses only schema fields
    const example = (await import('yaml')).parse(await readFile(dir('base/airlift.yaml'), 'utf8')) as Record<string, unknown>;
    for (const k of Object.keys(example)) expect(schema.properties).toHaveProperty(k);
  });

  it('the Dockerfile runs as the uid the manifests expect, with `airlift` on the PATH', async () => {
    const dockerfile = await readFile(path.join(ROOT, '..', 'Dockerfile'), 'utf8');
    const uid = Number(/^USER (\d+)/m.exec(dockerfile)?.[1]);
    expect(podSpecOf(find(kustomize(dir('base')), 'CronJob')).securityContext.runAsUser).toBe(uid);
    expect(dockerfile).toMatch(/ln -s \/app\/dist\/cmd\/airlift\.js \/usr\/local\/bin\/airlift/);
  });
});
