// The Node annotations and finalizer through which Kubelab describes a node's Docker
// daemon. Everything about a node lives on its Node object (and a Secret for key
// material), so the CLI, the GUI and the NodeManager all work through the API.

export const NODE_ANNOTATIONS = {
  /** unix:///var/run/docker.sock | tcp://host:port | ssh://user@host[:port] */
  dockerEndpoint: 'kubelab.io/docker-endpoint',
  /** Name of a Secret in kube-system with ca.crt, tls.crt and tls.key for tcp endpoints. */
  dockerTlsSecret: 'kubelab.io/docker-tls-secret',
  /** Name of a Secret in kube-system with ssh-privatekey for ssh endpoints. */
  dockerSshSecret: 'kubelab.io/docker-ssh-secret',
  /** "true" allows plain tcp without TLS. */
  dockerInsecure: 'kubelab.io/docker-insecure',
  /** "true" for Docker-in-Docker nodes that Kubelab creates and removes itself. */
  labNode: 'kubelab.io/lab-node',
  /** "true" while a lab node is stopped on purpose (`kubelab node stop`): its container and agent stay down. */
  labNodeStopped: 'kubelab.io/lab-node-stopped',
} as const;

/** What a node advertises beyond what its daemon reports (`kubelab node create --cpus --memory`): `cpu=4,memory=8Gi`. */
export const CAPACITY_ANNOTATION = 'kubelab.io/capacity';

/** Node label naming how Kubelab reaches the node's daemon: local, tcp, ssh or lab. */
export const ENDPOINT_KIND_LABEL = 'kubelab.io/endpoint-kind';

/** Holds a lab node's Node object until its container, volume and socket directory are gone. */
export const LAB_NODE_FINALIZER = 'kubelab.io/lab-node-cleanup';

/** Where node key material Secrets live. */
export const NODE_SECRET_NAMESPACE = 'kube-system';

export function tlsSecretName(nodeName: string): string {
  return `kubelab-node-${nodeName}-tls`;
}

export function sshSecretName(nodeName: string): string {
  return `kubelab-node-${nodeName}-ssh`;
}

interface Annotated {
  metadata: { annotations?: Record<string, string> | null };
}

export function isLabNode(node: Annotated): boolean {
  return node.metadata.annotations?.[NODE_ANNOTATIONS.labNode] === 'true';
}

export function dockerEndpointOf(node: Annotated): string | undefined {
  return node.metadata.annotations?.[NODE_ANNOTATIONS.dockerEndpoint] || undefined;
}
