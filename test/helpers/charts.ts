/** Small charts written at test time: one Deployment running the image its values name. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface SmallChart {
  name: string;
  version: string;
  image: { repository: string; tag: string };
  /** Extra Chart.yaml lines (dependencies: …). */
  chartYaml?: string;
}

/** Writes DIR/{Chart.yaml,values.yaml,templates/deployment.yaml}: a Deployment `<release>-<chart>` running image.repository:image.tag. */
export async function writeChart(dir: string, c: SmallChart): Promise<string> {
  await mkdir(path.join(dir, 'templates'), { recursive: true });
  await writeFile(path.join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${c.name}\nversion: ${c.version}\nappVersion: "1.0"\n${c.chartYaml ?? ''}`);
  await writeFile(path.join(dir, 'values.yaml'), `image:\n  repository: ${c.image.repository}\n  tag: "${c.image.tag}"\n`);
  await writeFile(
    path.join(dir, 'templates', 'deployment.yaml'),
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: {{ .Release.Name }}-{{ .Chart.Name }}',
      'spec:',
      '  selector: {matchLabels: {app: {{ .Chart.Name }}}}',
      '  template:',
      '    metadata: {labels: {app: {{ .Chart.Name }}}}',
      '    spec:',
      '      containers:',
      '        - name: app',
      '          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"',
      '',
    ].join('\n'),
  );
  return dir;
}
