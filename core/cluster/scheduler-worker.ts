import { parentPort, workerData } from 'node:worker_threads';
import { EventRecorder } from '../client/event-recorder.ts';
import { InformerFactory } from '../client/informer-factory.ts';
import { RestClient } from '../client/rest-client.ts';
import { runWithLeaderElection } from '../controllers/leader-election.ts';
import { createLogger } from '../log/logger.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { KUBERNETES_SCHEDULER_SETTINGS, LAB_SCHEDULER_SETTINGS } from '../scheduler/scheduler-settings.ts';
import type { ComponentWorkerData } from './component-worker-data.ts';

// One copy of the scheduler. Copies compete for the kube-system/kube-scheduler Lease;
// only the leader schedules. When leadership is lost the thread ends and its supervisor
// starts it again as a standby, as kube-scheduler exits and is restarted; a
// {type:'stop'} message hands the Lease over at once and ends the thread.

const data = workerData as ComponentWorkerData;
const logger = createLogger(`scheduler/${data.identity}`);
const client = new RestClient({ server: data.apiUrl, token: data.token, userAgent: `kube-scheduler/${data.identity}` });
const reportAction = (action: string) => parentPort?.postMessage({ type: 'action', action });
const stop = new AbortController();
parentPort?.on('message', (message: { type: string }) => message.type === 'stop' && stop.abort());

const outcome = await runWithLeaderElection({
  client,
  namespace: 'kube-system',
  name: 'kube-scheduler',
  identity: data.identity,
  leaseDurationSeconds: data.settings.leaseDurationSeconds,
  renewDeadlineSeconds: data.settings.renewDeadlineSeconds,
  retryPeriodSeconds: data.settings.retryPeriodSeconds,
  signal: stop.signal,
  logger,
  onStartedLeading: async (leading: AbortSignal) => {
    reportAction('became the leader');
    const informers = new InformerFactory(client);
    const recorder = new EventRecorder(client, { component: 'default-scheduler', logger });
    const settings = data.timings === 'lab' ? LAB_SCHEDULER_SETTINGS : KUBERNETES_SCHEDULER_SETTINGS;
    await new Scheduler({ client, informers, recorder, logger, reportAction, settings }).run(leading);
  },
});
if (outcome === 'lost') logger.warn('leadership lost; exiting so the supervisor restarts this copy as a standby');
process.exit(outcome === 'lost' ? 1 : 0);
