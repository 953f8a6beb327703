import { parseArgs, type ParseArgsConfig } from 'node:util';
import { defaultDataDir } from '../cluster/data-paths.ts';
import type { RestClient } from '../client/rest-client.ts';
import { EndpointError } from '../nodes/docker-endpoint.ts';
import {
  addNode,
  checkAddNodeOptions,
  type AddNodeOptions,
  connectToServe,
  createLabNodeObject,
  deleteLabNodeAndWait,
  formatNodeTable,
  listNodes,
  NodeCommandError,
  removeNode,
  setLabNodeStopped,
  waitForNodeReady,
} from '../nodes/node-commands.ts';

// `kubelab node ...`: argument parsing and printing only; node-commands.ts does the work
// against the running `kubelab serve`. Bad flags print usage and exit 2; failures exit 1.

export const NODE_USAGE = `Usage: kubelab node <command> [flags]

Commands:
  ls                    List nodes: NAME, KIND, ENDPOINT, STATUS, AGE
  add NAME --docker URL Add a Docker daemon as a node. URL: unix:///path, tcp://host:port or ssh://user@host[:port]
      --tls-ca FILE --tls-cert FILE --tls-key FILE   TLS client files for tcp:// (docker's --tlsverify set)
      --insecure        allow plain tcp:// without TLS (anyone reaching the port controls the daemon)
      --ssh-key FILE    private key for ssh:// (default: your ssh agent)
      --no-verify       add it even if the daemon does not answer now
  rm NAME               Remove a node added with "add" (its containers stay on that daemon)
  create NAME           Create a lab node (a Docker-in-Docker container on this machine) and wait until Ready
      --timeout SECONDS how long to wait (default 300)
      --cpus N --memory Q   the capacity the node advertises (default: what its daemon has), for bin-packing labs
  delete NAME           Delete a lab node, its container and its data, and wait until it is gone
      --timeout SECONDS how long to wait (default 120)
  stop NAME             Stop a lab node's container, as if the machine went down
  start NAME            Start a stopped lab node again

Flags of every command:
  --data-dir DIR        the data directory of the running kubelab serve (default: ${defaultDataDir()})
`;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: CliIo = { stdout: (text) => process.stdout.write(text), stderr: (text) => process.stderr.write(text) };

class UsageError extends Error {}

const COMMON = { 'data-dir': { type: 'string' } } as const;

const OPTIONS = {
  ls: { positionals: 0, options: {} },
  add: {
    positionals: 1,
    options: {
      docker: { type: 'string' },
      'tls-ca': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      insecure: { type: 'boolean' },
      'ssh-key': { type: 'string' },
      'no-verify': { type: 'boolean' },
    },
  },
  rm: { positionals: 1, options: {} },
  create: { positionals: 1, options: { timeout: { type: 'string' }, cpus: { type: 'string' }, memory: { type: 'string' } } },
  delete: { positionals: 1, options: { timeout: { type: 'string' } } },
  stop: { positionals: 1, options: {} },
  start: { positionals: 1, options: {} },
} as const;

type Subcommand = keyof typeof OPTIONS;

export async function nodeCommand(argv: string[], io: CliIo = processIo): Promise<number> {
  const [subcommand, ...args] = argv;
  if (!subcommand || subcommand === 'help' || subcommand === '--help' || subcommand === '-h') {
    (subcommand ? io.stdout : io.stderr)(NODE_USAGE);
    return subcommand ? 0 : 2;
  }
  if (!(subcommand in OPTIONS)) {
    io.stderr(`kubelab node: unknown command "${subcommand}"\n\n${NODE_USAGE}`);
    return 2;
  }
  const spec = OPTIONS[subcommand as Subcommand];
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  let timeoutMs = 0;
  try {
    const parsed = parseArgs({ args, options: { ...COMMON, ...spec.options } as ParseArgsConfig['options'], strict: true, allowPositionals: true });
    values = parsed.values as Record<string, string | boolean | undefined>;
    positionals = parsed.positionals;
    if (positionals.length !== spec.positionals) {
      throw new UsageError(spec.positionals === 0 ? `takes no arguments (got ${positionals.join(' ')})` : `needs exactly one node NAME (got ${positionals.length})`);
    }
    if (subcommand === 'add') {
      if (!values.docker) throw new UsageError('--docker URL is required');
      checkAddNodeOptions(addOptions(positionals[0], values));
    }
    if (subcommand === 'create' || subcommand === 'delete') {
      const seconds = values.timeout === undefined ? (subcommand === 'create' ? 300 : 120) : Number(values.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout must be a number of seconds (got "${String(values.timeout)}")`);
      timeoutMs = seconds * 1000;
    }
  } catch (error) {
    io.stderr(`kubelab node ${subcommand}: ${(error as Error).message}\n\n${NODE_USAGE}`);
    return 2;
  }

  const name = positionals[0];
  const dataDir = (values['data-dir'] as string | undefined) ?? defaultDataDir();
  try {
    const client = await connectToServe(dataDir);
    await run(subcommand as Subcommand, client, name, values, timeoutMs, io);
    return 0;
  } catch (error) {
    const known = error instanceof NodeCommandError || error instanceof EndpointError;
    io.stderr(`kubelab node ${subcommand}: ${known ? '' : 'error: '}${(error as Error).message}\n`);
    return 1;
  }
}

function addOptions(name: string, values: Record<string, string | boolean | undefined>): AddNodeOptions {
  return {
    name,
    docker: values.docker as string,
    tlsFiles: { ca: values['tls-ca'] as string | undefined, cert: values['tls-cert'] as string | undefined, key: values['tls-key'] as string | undefined },
    insecure: values.insecure === true,
    sshKeyFile: values['ssh-key'] as string | undefined,
    verify: values['no-verify'] !== true,
  };
}

async function run(
  subcommand: Subcommand,
  client: RestClient,
  name: string,
  values: Record<string, string | boolean | undefined>,
  timeoutMs: number,
  io: CliIo,
): Promise<void> {
  const onProblem = (message: string) => io.stderr(`  ${message}\n`);
  switch (subcommand) {
    case 'ls':
      io.stdout(formatNodeTable(await listNodes(client)));
      return;
    case 'add': {
      const warnings = await addNode(client, addOptions(name, values));
      for (const warning of warnings) io.stderr(`${warning}\n`);
      io.stdout(`node/${name} added\n`);
      return;
    }
    case 'rm':
      await removeNode(client, name);
      io.stdout(`node/${name} removed\n`);
      return;
    case 'create':
      await createLabNodeObject(client, name, { cpus: values.cpus as string | undefined, memory: values.memory as string | undefined });
      io.stdout(`node/${name} created; waiting for it to be Ready (the first lab node may build the node image, which takes minutes)\n`);
      await waitForNodeReady(client, name, { timeoutMs, onProblem });
      io.stdout(`node/${name} is Ready\n`);
      return;
    case 'delete':
      await deleteLabNodeAndWait(client, name, { timeoutMs, onProblem });
      io.stdout(`node/${name} deleted\n`);
      return;
    case 'stop':
    case 'start':
      await setLabNodeStopped(client, name, subcommand === 'stop');
      io.stdout(`node/${name} ${subcommand === 'stop' ? 'stopping' : 'starting'}\n`);
      return;
  }
}
