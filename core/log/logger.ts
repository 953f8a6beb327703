// One structured logger per component: one line per event, the component and the
// object key in every line, so a log of the whole cluster can be grepped by object.
// Never pass secrets (tokens, Secret data) as fields.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

function threshold(): number {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.KUBELAB_LOG as LogLevel | undefined;
  return ORDER[env ?? 'info'] ?? ORDER.info;
}

export function createLogger(component: string, sink: (line: string) => void = (line) => console.error(line)): Logger {
  const min = threshold();
  const log = (level: LogLevel) => (message: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[level] < min) return;
    sink(JSON.stringify({ time: new Date().toISOString(), level, component, msg: message, ...fields }));
  };
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}
