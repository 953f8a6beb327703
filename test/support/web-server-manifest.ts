// A busybox httpd Pod behind a Service of the same name (port 80 to the pod's 8080), the
// web server that tests and benches put behind a Service. /index.html holds `page`;
// `setup` is shell run before httpd starts (extra files, for instance).

export interface WebServerOptions {
  name: string;
  page: string;
  /** Pins the pod to a node. */
  nodeName?: string;
  setup?: string;
}

export function webServerManifest({ name, page, nodeName, setup }: WebServerOptions): string {
  const script = ['mkdir -p /www', `echo ${page} > /www/index.html`, ...(setup ? [setup] : []), 'exec httpd -f -p 8080 -h /www'].join(' && ');
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name}, labels: { app: ${name} } }
spec:
${nodeName ? `  nodeName: ${nodeName}\n` : ''}  terminationGracePeriodSeconds: 1
  containers:
    - name: httpd
      image: kubelab/busybox:test
      command: ['sh', '-c', ${JSON.stringify(script)}]
      ports: [{ containerPort: 8080 }]
      readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  selector: { app: ${name} }
  ports: [{ port: 80, targetPort: 8080 }]
`;
}
