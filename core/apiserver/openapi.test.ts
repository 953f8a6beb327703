import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPENAPI_SCHEMAS_PATH, generateOpenApiSchemas, renderOpenApiSchemas } from '../../scripts/generate-openapi-schemas.ts';
import { openApiV3Document, openApiV3Index } from './openapi.ts';

type Schema = Record<string, any>;
const schemasOf = (group: string, version: string) => (openApiV3Document(group, version) as { components: { schemas: Record<string, Schema> } }).components.schemas;

describe('OpenAPI v3 documents', () => {
  it("mark each kind's schema with its group-version-kind, as kubectl explain looks it up", () => {
    const apps = schemasOf('apps', 'v1');
    expect(apps['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', version: 'v1', kind: 'Deployment' }]);
    expect(apps['io.k8s.api.apps.v1.Deployment'].description).toContain('Deployment enables declarative updates for Pods and ReplicaSets');
    expect(schemasOf('', 'v1')['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind']).toEqual([{ group: '', version: 'v1', kind: 'Pod' }]);
  });

  it('carry every schema their kinds refer to, and only theirs', () => {
    for (const [group, version] of [['', 'v1'], ['apps', 'v1'], ['batch', 'v1']]) {
      const schemas = schemasOf(group, version);
      const refs = [...JSON.stringify(schemas).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
      for (const ref of refs) expect(schemas, `${group}/${version} refers to ${ref}`).toHaveProperty([ref]);
    }
    const apps = schemasOf('apps', 'v1');
    expect(apps).toHaveProperty(['io.k8s.api.core.v1.PodSpec']);
    expect(apps).not.toHaveProperty(['io.k8s.api.core.v1.Node']);
  });

  it("describe fields as Kubernetes does: required ones, named scalars, int-or-string", () => {
    const core = schemasOf('', 'v1');
    expect(core['io.k8s.api.core.v1.Container'].required).toEqual(['name']);
    expect(core['io.k8s.api.core.v1.ResourceRequirements'].properties.limits.additionalProperties).toEqual({ allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' }] });
    expect(core['io.k8s.api.core.v1.ServicePort'].properties.targetPort.allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' }]);
    expect(core['io.k8s.apimachinery.pkg.apis.meta.v1.Time']).toMatchObject({ type: 'string', format: 'date-time' });
  });

  it('declare no PATCH request body, so kubectl keeps computing strategic merge patches from its compiled-in types', () => {
    const paths = (openApiV3Document('apps', 'v1') as { paths: Record<string, Schema> }).paths;
    const patch = paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({ group: 'apps', version: 'v1', kind: 'Deployment' });
    expect(patch.requestBody).toBeUndefined();
  });

  it('are indexed with a hash of their content, so kubectl caches each until it changes', () => {
    const index = openApiV3Index() as { paths: Record<string, { serverRelativeURL: string }> };
    const hash = (path: string) => /hash=([0-9A-F]{32})$/.exec(index.paths[path].serverRelativeURL)?.[1];
    expect(index.paths['apis/apps/v1'].serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{32}$/);
    expect(hash('api/v1')).not.toBe(hash('apis/apps/v1'));
  });
});

describe('generated/openapi-schemas.json', () => {
  it('is what scripts/generate-openapi-schemas.ts generates from kubernetes-types (rerun it if this fails)', () => {
    expect(readFileSync(OPENAPI_SCHEMAS_PATH, 'utf8')).toBe(renderOpenApiSchemas(generateOpenApiSchemas()));
  }, 60_000);
});
