import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, methodNotAllowed } from '../api/errors.ts';
import type { ExtraGroupVersion } from './discovery.ts';
import { readObjectBody, writeJson } from './http-io.ts';

// What `kubectl auth can-i` (SelfSubjectAccessReview, SelfSubjectRulesReview) and
// `kubectl auth whoami` (SelfSubjectReview) ask. Kubelab has one user: whoever holds
// the cluster's token, named in the kubeconfig as kubelab-admin and allowed everything,
// like a cluster administrator in system:masters. These answers say exactly that, so a
// learner's `kubectl auth can-i` works, and teaches what an admin may do. Nothing is stored.

const USER = { username: 'kubelab-admin', groups: ['system:masters', 'system:authenticated'] };
const WHY_ALLOWED = 'Kubelab has one user, the holder of its token, who may do everything (like system:masters)';

interface Review {
  group: string;
  version: string;
  plural: string;
  kind: string;
  /** The review's status (and a check of its spec: throws a 400 naming the field). */
  answer(spec: Record<string, unknown>): Record<string, unknown>;
}

const REVIEWS: readonly Review[] = [
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    plural: 'selfsubjectaccessreviews',
    kind: 'SelfSubjectAccessReview',
    answer: (spec) => {
      const given = ['resourceAttributes', 'nonResourceAttributes'].filter((field) => spec[field] !== undefined && spec[field] !== null);
      if (given.length !== 1) {
        throw badRequest('spec: Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified');
      }
      return { allowed: true, reason: WHY_ALLOWED };
    },
  },
  {
    group: 'authorization.k8s.io',
    version: 'v1',
    plural: 'selfsubjectrulesreviews',
    kind: 'SelfSubjectRulesReview',
    answer: () => ({
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    }),
  },
  {
    group: 'authentication.k8s.io',
    version: 'v1',
    plural: 'selfsubjectreviews',
    kind: 'SelfSubjectReview',
    answer: () => ({ userInfo: USER }),
  },
];

const pathOf = (review: Review) => `/apis/${review.group}/${review.version}/${review.plural}`;

export function isSelfSubjectReviewPath(path: string): boolean {
  return REVIEWS.some((review) => pathOf(review) === path);
}

/** Discovery's entries for the review groups, one per group version. */
export const SELF_SUBJECT_REVIEW_DISCOVERY: ExtraGroupVersion[] = [...new Set(REVIEWS.map((r) => `${r.group}/${r.version}`))].map((groupVersion) => {
  const reviews = REVIEWS.filter((r) => `${r.group}/${r.version}` === groupVersion);
  return {
    group: reviews[0].group,
    version: reviews[0].version,
    resources: reviews.map((r) => ({ name: r.plural, singularName: r.kind.toLowerCase(), namespaced: false, kind: r.kind, verbs: ['create'] })),
  };
});

export async function serveSelfSubjectReview(req: IncomingMessage, res: ServerResponse, method: string, path: string): Promise<void> {
  const review = REVIEWS.find((r) => pathOf(r) === path)!;
  if (method !== 'POST') throw methodNotAllowed(`${review.plural} are only created (POST): the answer comes back in the status`);
  const body = await readObjectBody(req);
  const apiVersion = `${review.group}/${review.version}`;
  if (body.kind !== review.kind || body.apiVersion !== apiVersion) {
    throw badRequest(`kind: Invalid value: "${String(body.apiVersion)}/${String(body.kind)}": ${pathOf(review)} takes ${apiVersion} ${review.kind}`);
  }
  const spec = (body.spec ?? {}) as Record<string, unknown>;
  const status = review.answer(spec);
  writeJson(res, 201, { apiVersion, kind: review.kind, metadata: { creationTimestamp: null }, ...(body.spec !== undefined ? { spec } : {}), status });
}
