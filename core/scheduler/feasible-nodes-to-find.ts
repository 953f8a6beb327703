// How many feasible nodes a scheduling cycle looks for before it stops filtering
// (kubernetes/pkg/scheduler/schedule_one.go, numFeasibleNodesToFind). In a big cluster
// checking every node costs far more than the better placement is worth: the cycle
// stops after this many nodes passed the filters and scores only those. Each cycle
// starts where the last one stopped (nextStartNodeIndex), so every node gets its turn.

/** Below this many nodes every node is checked; above it at least this many feasible ones are looked for. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** The adaptive percentage never goes below this. */
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/**
 * `percentageOfNodesToScore` 0 (or absent) is adaptive: 50% minus one point per 125
 * nodes, at least 5% (500 nodes: 46% = 230; 5,000 nodes: 10% = 500); never fewer than 100.
 */
export function numFeasibleNodesToFind(percentageOfNodesToScore: number | undefined, numAllNodes: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let percentage = percentageOfNodesToScore ?? 0;
  if (percentage === 0) percentage = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND, 50 - Math.trunc(numAllNodes / 125));
  // Go's int32 arithmetic: truncating division.
  const numNodes = Math.trunc((numAllNodes * percentage) / 100);
  return Math.max(numNodes, MIN_FEASIBLE_NODES_TO_FIND);
}
