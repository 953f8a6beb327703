import { parseArgs } from 'node:util';
import { startControlPlane } from '../cluster/control-plane.ts';
import { defaultDataDir } from '../cluster/data-paths.ts';
import { describeReset } from './reset-cli.ts';

// The `kubelab` command. Each subcommand parses its own flags strictly: a bad flag
// prints usage and exits 2 rather than running with a guess.

const USAGE = `Usage: kubelab <command> [flags]

Commands:
  serve     Run the control plane and print its URL and kubeconfig
            --data-dir DIR      state directory (default: ${defaultDataDir()})
            --port N            API port on 127.0.0.1 (default: the last one used, else a free one)
            --kubeconfig FILE   where to write the kubeconfig (default: DIR/kubeconfig)
            --timings T         kubernetes (default) or lab: shorter restart back-off and heartbeats
            --no-local-node     do not register the local Docker daemon as a node
            --schedulers N      copies of the scheduler, leader-elected (default 1)
            --controller-managers N  copies of the controller-manager, leader-elected (default 1)
  node      Add, remove, list, create (lab nodes), stop and start nodes: kubelab node --help
  reset     Remove every container, volume and lab node of the cluster, and its objects: kubelab reset --help
  gc        Remove what clusters whose data directory is gone left on Docker: kubelab gc --help
  help      Show this text
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'node':
      return (await import('./node-cli.ts')).nodeCommand(rest);
    case 'reset':
      return (await import('./reset-cli.ts')).resetCommand(rest);
    case 'gc':
      return (await import('./gc-cli.ts')).gcCommand(rest);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(command ? `kubelab: unknown command "${command}"\n\n${USAGE}` : USAGE);
      return 2;
  }
}

async function serve(args: string[]): Promise<number> {
  let values: {
    'data-dir'?: string;
    port?: string;
    kubeconfig?: string;
    timings?: string;
    'no-local-node'?: boolean;
    schedulers?: string;
    'controller-managers'?: string;
  };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        'data-dir': { type: 'string' },
        port: { type: 'string' },
        kubeconfig: { type: 'string' },
        timings: { type: 'string' },
        'no-local-node': { type: 'boolean' },
        schedulers: { type: 'string' },
        'controller-managers': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    process.stderr.write(`kubelab serve: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write(`kubelab serve: --port must be a number from 0 to 65535 (got "${values.port}")\n\n${USAGE}`);
      return 2;
    }
  }
  if (values.timings !== undefined && values.timings !== 'kubernetes' && values.timings !== 'lab') {
    process.stderr.write(`kubelab serve: --timings must be kubernetes or lab (got "${values.timings}")\n\n${USAGE}`);
    return 2;
  }
  const copies: Record<string, number> = {};
  for (const flag of ['schedulers', 'controller-managers'] as const) {
    const text = values[flag];
    if (text === undefined) continue;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 5) {
      process.stderr.write(`kubelab serve: --${flag} must be a number from 1 to 5 (got "${text}")\n\n${USAGE}`);
      return 2;
    }
    copies[flag] = n;
  }
  // Signals are caught from the start: one that arrives while starting up (or right
  // after the address is printed) still stops the control plane cleanly.
  let signalled: ((signal: string) => void) | undefined;
  const received = new Promise<string>((resolve) => (signalled = resolve));
  const onSignal = (signal: string) => () => signalled!(signal);
  process.once('SIGINT', onSignal('SIGINT'));
  process.once('SIGTERM', onSignal('SIGTERM'));

  let controlPlane;
  try {
    controlPlane = await startControlPlane({
      dataDir: values['data-dir'] ?? defaultDataDir(),
      port,
      kubeconfigPath: values.kubeconfig,
      timings: values.timings as 'kubernetes' | 'lab' | undefined,
      localNode: !values['no-local-node'],
      schedulers: copies.schedulers,
      controllerManagers: copies['controller-managers'],
      onReset: (result) => process.stdout.write(`kubelab: the cluster was reset (${describeReset(result)}); a new, empty cluster runs on the same address\n`),
    });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return 1;
  }
  process.stdout.write(
    `Kubelab is running.\n  API:        ${controlPlane.url}\n  HTTP:       ${controlPlane.httpUrl} (this machine only)\n` +
      (controlPlane.guiUrl ? `  GUI:        ${controlPlane.guiUrl} (open in a browser)\n` : '') +
      `  kubeconfig: ${controlPlane.kubeconfigPath}\n  data:       ${controlPlane.dataFile}\n` +
      `Try: kubectl --kubeconfig ${controlPlane.kubeconfigPath} get namespaces\n`,
  );
  const signal = await received;
  process.stderr.write(`kubelab: ${signal} received, stopping\n`);
  try {
    await controlPlane.stop();
    const dataDirFlag = values['data-dir'] ? ` --data-dir ${values['data-dir']}` : '';
    process.stderr.write(
      `kubelab: stopped. The lab's pods keep running on their nodes, as they do when a kubelet restarts; ` +
        `the next kubelab serve${dataDirFlag} adopts them. To remove them all: kubelab reset${dataDirFlag}\n`,
    );
    return 0;
  } catch (e) {
    process.stderr.write(`kubelab: stop failed: ${(e as Error).message}\n`);
    return 1;
  }
}
