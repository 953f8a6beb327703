import { describe, expect, it } from 'vitest';
import { ApiError } from '../api/errors.ts';
import { findByPlural } from '../api/resource-catalog.ts';
import { useResourceService } from './resource-service-test-env.ts';

// A field of the wrong JSON type is refused before defaulting and the lifecycle steps
// read it: they trust the schema's types (a pod's containers are an array).

const env = useResourceService('kubelab-wrong-types-');
const pods = { info: findByPlural('', 'v1', 'pods')!, namespace: 'default', name: '', subresource: '' };
const pod = (spec: unknown) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec });

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe('wrong JSON types', () => {
  it.each([5, true, { a: 1 }, 'abc'])('a pod whose containers are %j is refused with 422 naming spec.containers, on create, update and patch', async (containers) => {
    const created = await refusal(env.service.create(pods, pod({ containers })));
    expect(created.code).toBe(422);
    expect(created.message).toMatch(/spec\.containers: Invalid value: .*: must be of type array/);

    await env.service.create(pods, pod({ containers: [{ name: 'main', image: 'busybox' }] }));
    const updated = await refusal(env.service.update({ ...pods, name: 'p' }, pod({ containers })));
    expect(updated.message).toMatch(/spec\.containers: .*must be of type array/);
    const patched = await refusal(env.service.patch({ ...pods, name: 'p' }, 'merge', { spec: { containers } }));
    expect(patched.code).toBe(422);
    expect(patched.message).toMatch(/spec\.containers: .*must be of type array/);
    expect((await env.service.get({ ...pods, name: 'p' })).spec).toMatchObject({ containers: [{ name: 'main', image: 'busybox' }] });
  });
});
