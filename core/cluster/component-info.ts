// What Kubelab reports about each running copy of a control-plane component, at
// /kubelab/v1/components; shared by the supervisor, the API server and the GUI.

export interface ComponentInfo {
  name: string;
  kind: string;
  state: 'starting' | 'running' | 'restarting' | 'stopped';
  startedAt?: string;
  restarts: number;
  /** The latest notable actions, newest last ("bound pod default/web-1 to node-a"). */
  recentActions: { time: string; action: string }[];
}
