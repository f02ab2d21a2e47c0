import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanCharts } from '../../../src/chart/index.js';
import { formatPath } from '../../../src/chart/values.js';
import { formatReference } from '../../../src/reference/index.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const chart = path.join(repoRoot, 'fixtures/charts/k8ssandra');

describe('K8ssandra-style fixture', () => {
  it('enumerates every image with its values path, chart and kind', async () => {
    const r = await scanCharts([chart]);
    const rows = r.findings.map((f) => [f.kind, f.chart, formatPath(f.path), f.ref ? formatReference(f.ref) : `ERROR ${f.error}`, f.disabled ? 'disabled' : '']);
    expect(rows).toEqual([
      ['values', 'k8ssandra', 'cassandra.image', 'docker.io/k8ssandra/cass-management-api:4.0.1', ''],
      ['values', 'k8ssandra', 'cassandra.configBuilder.image', 'docker.io/datastax/cass-config-builder:1.0.4', ''],
      ['values', 'k8ssandra', 'cassandra.jmxCredentialsConfig.image', 'docker.io/library/busybox:1.33.1', ''],
      ['values', 'k8ssandra', 'stargate.image', 'docker.io/stargateio/stargate-4_0:v1.0.45', ''],
      ['values', 'k8ssandra', 'stargate.waitForCassandra.image', 'docker.io/library/alpine:3.12.2', ''],
      ['values', 'k8ssandra', 'cleaner.image', 'docker.io/k8ssandra/k8ssandra-tools:latest', ''],
      ['values', 'k8ssandra', 'client.image', 'docker.io/k8ssandra/k8ssandra-tools:latest', ''],
      ['values', 'k8ssandra', 'medusa.image', 'docker.io/k8ssandra/medusa:0.11.3', ''],
      ['template', 'k8ssandra', '', 'docker.io/library/busybox:1.36', ''],
      ['annotation', 'k8ssandra', '', 'docker.io/k8ssandra/cass-management-api:4.0.1', ''],
      ['values', 'k8ssandra/cass-operator', 'cass-operator.image', 'docker.io/k8ssandra/cass-operator:v1.8.0', ''],
      ['values', 'k8ssandra/reaper', 'reaper.image', 'docker.io/thelastpickle/cassandra-reaper:3.0.1', 'disabled'],
      ['values', 'k8ssandra/medusa-operator', 'medusa-operator.image', 'docker.io/k8ssandra/medusa-operator:0.3.0', ''],
      ['values', 'k8ssandra/kube-prometheus-stack', 'kube-prometheus-stack.prometheusOperator.image', 'quay.io/prometheus-operator/prometheus-operator:v0.44.0', ''],
      ['values', 'k8ssandra/kube-prometheus-stack', 'kube-prometheus-stack.prometheusOperator.prometheusConfigReloaderImage', 'quay.io/prometheus-operator/prometheus-config-reloader:v0.44.0', ''],
      ['values', 'k8ssandra/kube-prometheus-stack', 'kube-prometheus-stack.prometheusOperator.admissionWebhooks.patch.image', 'docker.io/jettech/kube-webhook-certgen:v1.5.0', ''],
      ['values', 'k8ssandra/kube-prometheus-stack', 'kube-prometheus-stack.prometheus.prometheusSpec.image', 'quay.io/prometheus/prometheus:v2.22.1', ''],
      ['values', 'k8ssandra/kube-prometheus-stack', 'kube-prometheus-stack.alertmanager.alertmanagerSpec.image', 'quay.io/prometheus/alertmanager:v0.21.0', ''],
      ['values', 'k8ssandra/kube-prometheus-stack', 'kube-prometheus-stack.grafana.image', 'docker.io/grafana/grafana:7.3.5', ''],
    ]);
    expect(r.errors).toEqual([]);
    // k8ssandra-tools at two paths; cass-management-api in values and annotation; medusa (medusa.enabled false)
    // and reaper (disabled subchart) are not rendered by the templates, so not listed
    expect(r.images).toHaveLength(15);
    const at = (p: string) => r.findings.find((f) => formatPath(f.path) === p)!;
    expect(at('medusa.image').notRendered).toBe(true);
    expect(at('reaper.image').notRendered).toBe(true);
    expect(at('cassandra.image').where).toEqual(['CassandraDatacenter/dc1 spec.serverImage']);
    expect(at('cassandra.jmxCredentialsConfig.image').where).toEqual(['CassandraDatacenter/dc1 initContainers[jmx-credentials]']);
    expect(at('cleaner.image').where).toContain('Job/release-cleaner containers[cleaner] (hook)');
    // subcharts without templates are not judged: their values images stay listed
    expect(at('cass-operator.image').where).toBeUndefined();
    expect(at('cass-operator.image').notRendered).toBeUndefined();
    expect(r.warnings).toEqual([]);
  });

  it('takes the Cassandra image from versionImageMap when cassandra.image.tag is empty, at its values path', async () => {
    const r = await scanCharts([chart], { set: ['cassandra.image.tag=', 'cassandra.version=3.11.11'] });
    const listed = r.images.map((i) => i.formatted);
    expect(listed).toContain('docker.io/k8ssandra/cass-management-api:3.11.11-v0.1.33');
    expect(listed).not.toContain('docker.io/k8ssandra/cass-management-api:4.0.1-v0.1.33');
    const f = r.findings.find((x) => x.raw === 'docker.io/k8ssandra/cass-management-api:3.11.11-v0.1.33')!;
    expect(f).toMatchObject({ kind: 'values', path: ['cassandra', 'versionImageMap', '3.11.11'], layout: { type: 'string' }, where: ['CassandraDatacenter/dc1 spec.serverImage'] });
    // cassandra.image (tag emptied, so appVersion) is not what the pod runs
    expect(r.findings.find((x) => formatPath(x.path) === 'cassandra.image')!.notRendered).toBe(true);
  });

  it('records layouts relocation needs: registry in repository, subchart files, defaulted tags', async () => {
    const r = await scanCharts([chart], { annotations: false, templates: false });
    const at = (p: string) => r.findings.find((f) => formatPath(f.path) === p)!;
    expect(at('kube-prometheus-stack.prometheusOperator.image').layout).toMatchObject({ type: 'object', registryFrom: 'repository', fields: { repository: 'quay.io/prometheus-operator/prometheus-operator', tag: 'v0.44.0' } });
    expect(at('kube-prometheus-stack.prometheusOperator.image').file).toBe(path.join(chart, 'values.yaml'));
    expect(at('kube-prometheus-stack.prometheus.prometheusSpec.image').file).toBe(path.join(chart, 'charts/kube-prometheus-stack/values.yaml'));
    expect(at('cassandra.image').layout).toMatchObject({ registryFrom: 'self', fields: { registry: 'docker.io' } });
    expect(at('cass-operator.image').tagDefaulted).toBe('appVersion');
    expect(at('medusa-operator.image').file).toBe(`${path.join(chart, 'charts/medusa-operator-0.30.0.tgz')}!/medusa-operator/values.yaml`);
  });

  it('lists the charts with paths, .tgz flag, aliases and missing dependencies', async () => {
    const r = await scanCharts([chart]);
    expect(r.charts.map((c) => ({ chart: c.chart, name: c.name, version: c.version, packaged: c.packaged, disabled: c.disabled, alias: c.alias, valuesPath: c.valuesPath }))).toEqual([
      { chart: 'k8ssandra', name: 'k8ssandra', version: '1.6.1', packaged: false, disabled: false, alias: undefined, valuesPath: [] },
      { chart: 'k8ssandra/cass-operator', name: 'cass-operator', version: '0.29.0', packaged: false, disabled: false, alias: undefined, valuesPath: ['cass-operator'] },
      { chart: 'k8ssandra/reaper', name: 'reaper-operator', version: '0.32.0', packaged: false, disabled: true, alias: 'reaper', valuesPath: ['reaper'] },
      { chart: 'k8ssandra/medusa-operator', name: 'medusa-operator', version: '0.30.0', packaged: true, disabled: false, alias: undefined, valuesPath: ['medusa-operator'] },
      { chart: 'k8ssandra/kube-prometheus-stack', name: 'kube-prometheus-stack', version: '12.11.3', packaged: false, disabled: false, alias: undefined, valuesPath: ['kube-prometheus-stack'] },
    ]);
    expect(r.charts[0]!.path).toBe(chart);
    expect(r.charts[3]!.path).toBe(path.join(chart, 'charts/medusa-operator-0.30.0.tgz'));
    expect(r.charts[4]!.missingDependencies).toEqual(['grafana']);
  });

  it('--enabled-only leaves out the disabled aliased subchart; --set enables it', async () => {
    const off = await scanCharts([chart], { enabledOnly: true });
    expect(off.findings.some((f) => f.chart === 'k8ssandra/reaper')).toBe(false);
    const on = await scanCharts([chart], { enabledOnly: true, set: ['reaper.enabled=true'] });
    expect(on.findings.some((f) => formatPath(f.path) === 'reaper.image')).toBe(true);
  });

  it('reports every place the chart reads pull secrets, with its form', async () => {
    const r = await scanCharts([chart]);
    expect(r.pullSecrets.map((s) => [formatPath(s.path), s.form, s.existing.join(',')])).toEqual([
      ['global.imagePullSecrets', 'unknown', ''],
      ['cassandra.imagePullSecrets', 'unknown', ''],
      ['stargate.imagePullSecrets', 'objects', 'stargate-pull'],
      ['cleaner.serviceAccount.imagePullSecrets', 'unknown', ''],
      ['client.imagePullSecrets', 'names', 'tools-pull'],
      ['cass-operator.imagePullSecrets', 'unknown', ''],
      ['cass-operator.serviceAccount.imagePullSecrets', 'unknown', ''],
      ['reaper.imagePullSecrets', 'unknown', ''],
      ['medusa-operator.imagePullSecrets', 'unknown', ''],
    ]);
  });
});

describe('the scan keeps what relocate needs (charts walked once, issue #18 item 6)', () => {
  it('gives every chart and subchart its merged values at its values path, disabled ones and aliases too', async () => {
    const r = await scanCharts([chart], { set: ['reaper.image.tag=9.9.9', 'cassandra.version=4.0.1'] });
    expect(r.chartValues.map((c) => [c.chart, formatPath(c.path)])).toEqual(r.charts.map((c) => [c.chart, formatPath(c.valuesPath)]));
    expect(r.chartValues.map((c) => c.chart)).toContain('k8ssandra/reaper');
    const reaper = r.chartValues.find((c) => c.chart === 'k8ssandra/reaper')!;
    expect(reaper.path).toEqual(['reaper']);
    // the user's --set reaches the subchart's merged values, over its own defaults
    expect((reaper.values as { image: { tag: unknown } }).image.tag).toBe('9.9.9');
    expect(r.charts.find((c) => c.chart === 'k8ssandra/reaper')!.disabled).toBe(true);
    const top = r.chartValues[0]!;
    expect(top.path).toEqual([]);
    expect((top.values as { cassandra: { version: unknown } }).cassandra.version).toBe('4.0.1');
    expect(r.loaded.map((c) => c.name)).toEqual(['k8ssandra']);
    expect(r.loaded[0]!.subcharts.length).toBeGreaterThan(0);
  });
});
