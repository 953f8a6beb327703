import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readObjectBody } from '../apiserver/http-io.ts';
import { splitDocuments } from '../manifest/split-documents.ts';
import { parseKubernetesYaml } from './kubernetes-yaml.ts';

const YAML = `apiVersion: v1
kind: ConfigMap
metadata:
  name: scalars
  annotations:
    created: 2024-01-02
data:
  mode: 0755
  enabled: yes
  debug: off
`;

describe('YAML as Kubernetes reads it', () => {
  it('YAML 1.1 scalars (octal, yes/off), dates kept as strings', () => {
    const value = parseKubernetesYaml(YAML) as { metadata: { annotations: Record<string, unknown> }; data: Record<string, unknown> };
    expect(value.data).toEqual({ mode: 493, enabled: true, debug: false });
    expect(value.metadata.annotations.created).toBe('2024-01-02');
  });

  it('a YAML request body and a manifest file decode alike', async () => {
    const request = Object.assign(Readable.from([Buffer.from(YAML)]), { headers: { 'content-type': 'application/yaml' } }) as unknown as IncomingMessage;
    const body = await readObjectBody(request);
    const [document] = splitDocuments({ name: 'scalars.yaml', text: YAML });
    expect(body).toEqual(parseKubernetesYaml(YAML));
    expect(document.object).toEqual(body);
  });
});
