// Key `healthSummary`: `health` holds the pod states in common.ts, and areas merge shallowly.
export default {
  en: {
    healthSummary: {
      label: 'Cluster health',
      nodes: '{ready}/{total} nodes ready',
      nodesTitle: 'Nodes whose Ready condition is True; open the nodes view',
      podsTitle: 'Pods by health; open the cluster map',
      noPods: 'no pods',
      workloadsBehind: '{n} workloads below desired | {n} workload below desired | {n} workloads below desired',
      workloadsTitle: 'Deployments, ReplicaSets and DaemonSets with fewer ready pods than they want; open the workloads view',
    },
  },
  zh: {
    healthSummary: {
      label: '集群健康状况',
      nodes: '{ready}/{total} 个节点就绪',
      nodesTitle: 'Ready 状况为 True 的节点；打开节点视图',
      podsTitle: '按健康状态统计的 Pod；打开集群地图',
      noPods: '没有 Pod',
      workloadsBehind: '{n} 个工作负载未达期望副本数',
      workloadsTitle: '就绪 Pod 少于期望数量的 Deployment、ReplicaSet 和 DaemonSet；打开工作负载视图',
    },
  },
};
