import { parse } from 'yaml';

// The scheduler's configuration, read live from the ConfigMap kube-system/kubelab-scheduler
// (key config.yaml). Two spellings are accepted:
//   scoringStrategy: MostAllocated
//   percentageOfNodesToScore: 30
// or the KubeSchedulerConfiguration shape kube-scheduler reads:
//   apiVersion: kubescheduler.config.k8s.io/v1
//   kind: KubeSchedulerConfiguration
//   percentageOfNodesToScore: 30              (also per profile, which wins)
//   profiles:
//   - pluginConfig:
//     - name: NodeResourcesFit
//       args: { scoringStrategy: { type: MostAllocated } }

export type ScoringStrategy = 'LeastAllocated' | 'MostAllocated';
export const SCORING_STRATEGIES: readonly ScoringStrategy[] = ['LeastAllocated', 'MostAllocated'];

export interface SchedulerConfig {
  scoringStrategy: ScoringStrategy;
  /**
   * Filtering stops once this percentage of the nodes fit (feasible-nodes-to-find.ts);
   * 0 or absent is Kubernetes' adaptive default, 100 checks every node.
   */
  percentageOfNodesToScore?: number;
}

export const DEFAULT_SCHEDULER_CONFIG: SchedulerConfig = { scoringStrategy: 'LeastAllocated' };

export const SCHEDULER_CONFIGMAP_NAMESPACE = 'kube-system';
export const SCHEDULER_CONFIGMAP_NAME = 'kubelab-scheduler';
export const SCHEDULER_CONFIGMAP_KEY = 'config.yaml';

export class SchedulerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchedulerConfigError';
  }
}

const TOP_LEVEL_FIELDS = ['apiVersion', 'kind', 'scoringStrategy', 'percentageOfNodesToScore', 'profiles'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function strategyFrom(value: unknown, field: string): ScoringStrategy {
  const type = isObject(value) ? value.type : value;
  const typeField = isObject(value) ? `${field}.type` : field;
  if (typeof type !== 'string' || !SCORING_STRATEGIES.includes(type as ScoringStrategy)) {
    throw new SchedulerConfigError(
      `${SCHEDULER_CONFIGMAP_KEY}: ${typeField}: Unsupported value: ${JSON.stringify(type ?? null)}: supported values: "LeastAllocated", "MostAllocated"`,
    );
  }
  return type as ScoringStrategy;
}

function percentageFrom(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 100) {
    throw new SchedulerConfigError(`${SCHEDULER_CONFIGMAP_KEY}: ${field}: Invalid value: ${JSON.stringify(value)}: not in valid range [0-100]`);
  }
  return value;
}

/** profiles[*].percentageOfNodesToScore, if any. */
function percentageFromProfiles(profiles: unknown[]): number | undefined {
  let found: number | undefined;
  profiles.forEach((profile, p) => {
    if (isObject(profile) && profile.percentageOfNodesToScore !== undefined) {
      found = percentageFrom(profile.percentageOfNodesToScore, `profiles[${p}].percentageOfNodesToScore`);
    }
  });
  return found;
}

/** The strategy named in profiles[*].pluginConfig[name=NodeResourcesFit].args.scoringStrategy, if any. */
function strategyFromProfiles(profiles: unknown[]): ScoringStrategy | undefined {
  let found: ScoringStrategy | undefined;
  profiles.forEach((profile, p) => {
    const pluginConfig = isObject(profile) ? profile.pluginConfig : undefined;
    if (!Array.isArray(pluginConfig)) return;
    pluginConfig.forEach((entry, c) => {
      if (!isObject(entry) || entry.name !== 'NodeResourcesFit' || !isObject(entry.args)) return;
      if (entry.args.scoringStrategy === undefined) return;
      found = strategyFrom(entry.args.scoringStrategy, `profiles[${p}].pluginConfig[${c}].args.scoringStrategy`);
    });
  });
  return found;
}

/** Parses config.yaml; throws SchedulerConfigError naming the field and the fix. Empty text is the default config. */
export function parseSchedulerConfig(text: string): SchedulerConfig {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new SchedulerConfigError(`${SCHEDULER_CONFIGMAP_KEY}: not valid YAML: ${(error as Error).message}`);
  }
  if (document === null || document === undefined) return { ...DEFAULT_SCHEDULER_CONFIG };
  if (!isObject(document)) throw new SchedulerConfigError(`${SCHEDULER_CONFIGMAP_KEY}: must be a mapping such as "scoringStrategy: MostAllocated"`);
  const unknown = Object.keys(document).filter((key) => !TOP_LEVEL_FIELDS.includes(key));
  if (unknown.length > 0) {
    throw new SchedulerConfigError(`${SCHEDULER_CONFIGMAP_KEY}: unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}; known fields: ${TOP_LEVEL_FIELDS.join(', ')}`);
  }
  if (document.profiles !== undefined && !Array.isArray(document.profiles)) throw new SchedulerConfigError(`${SCHEDULER_CONFIGMAP_KEY}: profiles: must be a list`);
  const profiles = (document.profiles ?? []) as unknown[];
  let scoringStrategy = strategyFromProfiles(profiles) ?? DEFAULT_SCHEDULER_CONFIG.scoringStrategy;
  if (document.scoringStrategy !== undefined) scoringStrategy = strategyFrom(document.scoringStrategy, 'scoringStrategy');
  const global = document.percentageOfNodesToScore === undefined ? undefined : percentageFrom(document.percentageOfNodesToScore, 'percentageOfNodesToScore');
  const percentageOfNodesToScore = percentageFromProfiles(profiles) ?? global;
  return { scoringStrategy, ...(percentageOfNodesToScore !== undefined ? { percentageOfNodesToScore } : {}) };
}
