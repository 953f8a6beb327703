import type { FilterPlugin, Profile, ScorePlugin } from './framework.ts';
import { balancedAllocation } from './plugins/balanced-allocation.ts';
import { imageLocality } from './plugins/image-locality.ts';
import { leastAllocated } from './plugins/least-allocated.ts';
import { mostAllocated } from './plugins/most-allocated.ts';
import { nodeName } from './plugins/node-name.ts';
import { nodePorts } from './plugins/node-ports.ts';
import { nodeResourcesFit } from './plugins/node-resources-fit.ts';
import { nodeAffinity } from './plugins/node-selector-affinity.ts';
import { nodeUnschedulable } from './plugins/node-unschedulable.ts';
import { podTopologySpread } from './plugins/pod-topology-spread.ts';
import { taintToleration } from './plugins/taint-toleration.ts';
import type { SchedulerConfig } from './scheduler-config.ts';
import { volumeBinding } from './plugins/volume-binding.ts';

// Plugin name -> factory, and the default profile built from them: Kubernetes' default
// filter order (cheap, unresolvable checks first) and default score weights.

export type FilterPluginFactory = (config: SchedulerConfig) => FilterPlugin;
export type ScorePluginFactory = (config: SchedulerConfig) => ScorePlugin;

export const FILTER_PLUGINS: ReadonlyMap<string, FilterPluginFactory> = new Map<string, FilterPluginFactory>([
  ['NodeUnschedulable', () => nodeUnschedulable],
  ['NodeName', () => nodeName],
  ['TaintToleration', () => taintToleration],
  ['NodeAffinity', () => nodeAffinity],
  ['NodePorts', () => nodePorts],
  ['NodeResourcesFit', () => nodeResourcesFit],
  ['VolumeBinding', () => volumeBinding],
]);

export const SCORE_PLUGINS: ReadonlyMap<string, ScorePluginFactory> = new Map<string, ScorePluginFactory>([
  ['NodeResourcesFit', (config) => (config.scoringStrategy === 'MostAllocated' ? mostAllocated : leastAllocated)],
  ['NodeResourcesBalancedAllocation', () => balancedAllocation],
  ['ImageLocality', () => imageLocality],
  ['NodeAffinity', () => nodeAffinity],
  ['TaintToleration', () => taintToleration],
  ['PodTopologySpread', () => podTopologySpread],
]);

/** Filters in this order; the first that fails decides the node's reason. */
export const DEFAULT_FILTERS = ['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'VolumeBinding'];

/** kube-scheduler's default score weights. */
export const DEFAULT_SCORE_WEIGHTS: Readonly<Record<string, number>> = {
  TaintToleration: 3,
  NodeAffinity: 2,
  PodTopologySpread: 2,
  NodeResourcesFit: 1,
  NodeResourcesBalancedAllocation: 1,
  ImageLocality: 1,
};

export function buildProfile(config: SchedulerConfig): Profile {
  // Bin packing and default spreading pull opposite ways, and spreading weighs twice as
  // much: the MostAllocated profile drops default spreading so that pods fill one node
  // before the next, which is what choosing MostAllocated asks for.
  const weights = Object.entries(DEFAULT_SCORE_WEIGHTS).filter(([name]) => !(config.scoringStrategy === 'MostAllocated' && name === 'PodTopologySpread'));
  return {
    filters: DEFAULT_FILTERS.map((name) => FILTER_PLUGINS.get(name)!(config)),
    scores: weights.map(([name, weight]) => ({ plugin: SCORE_PLUGINS.get(name)!(config), weight })),
  };
}
