import type { ConfigMap, Node, PersistentVolume, PersistentVolumeClaim, Pod, PodCondition, Service } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { isConflict, isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { EventRecorder } from '../client/event-recorder.ts';
import type { InformerFactory } from '../client/informer-factory.ts';
import type { Informer } from '../client/informer.ts';
import type { RestClient } from '../client/rest-client.ts';
import type { Logger } from '../log/logger.ts';
import { EXPLANATION_ANNOTATION, explanationAnnotationValue, rfc3339, sameOutcome } from './explanation.ts';
import type { Profile } from './framework.ts';
import { isTerminal } from './node-info.ts';
import { buildProfile } from './registry.ts';
import { podKey, SchedulerCache } from './scheduler-cache.ts';
import { scheduleOne, type ScheduleExplanation } from './schedule-one.ts';
import {
  DEFAULT_SCHEDULER_CONFIG,
  parseSchedulerConfig,
  SCHEDULER_CONFIGMAP_KEY,
  SCHEDULER_CONFIGMAP_NAME,
  SCHEDULER_CONFIGMAP_NAMESPACE,
  type SchedulerConfig,
} from './scheduler-config.ts';
import { KUBERNETES_SCHEDULER_SETTINGS, type SchedulerSettings } from './scheduler-settings.ts';
import { SchedulingQueue, type QueuedPodInfo } from './scheduling-queue.ts';
import type { StorageLookup } from './plugins/volume-binding.ts';
import { jsonEqual } from '../store/json-clone.ts';

// The scheduler: watches pods without a node, picks a node for each (scheduleOne over a
// snapshot of its cache: nodes, bound pods and the pods it has assumed), and binds through
// pods/NAME/binding. It runs on its own, not inside the controller-manager; the host
// runs it under leader election and aborts `run`'s signal when leadership is lost.
//
// Assumed pods: a pod counts against its node from the moment it is chosen, before the
// binding is written and long before the informer shows it bound, so a burst of pods
// spreads instead of landing on the node that looked emptiest at the start.

const PODS = findByKind('v1', 'Pod') as ResourceInfo;
const NODES = findByKind('v1', 'Node') as ResourceInfo;
const SERVICES = findByKind('v1', 'Service') as ResourceInfo;
const CONFIGMAPS = findByKind('v1', 'ConfigMap') as ResourceInfo;
const CLAIMS = findByKind('v1', 'PersistentVolumeClaim') as ResourceInfo;
const VOLUMES = findByKind('v1', 'PersistentVolume') as ResourceInfo;
const STORAGE_CLASSES = findByKind('storage.k8s.io/v1', 'StorageClass') as ResourceInfo;

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** Longest run of scheduling attempts before the loop lets I/O and timers run. */
const YIELD_EVERY_MS = 20;

export interface SchedulerOptions {
  client: RestClient;
  informers: InformerFactory;
  /** Records as component "default-scheduler" (what `kubectl describe` shows under From). */
  recorder: EventRecorder;
  logger: Logger;
  /** One-line actions for the control-plane panel. */
  reportAction?: (action: string) => void;
  /** The configuration while the ConfigMap kube-system/kubelab-scheduler is absent. */
  config?: SchedulerConfig;
  settings?: SchedulerSettings;
  /** Pods whose spec.schedulerName is this are ours. */
  schedulerName?: string;
  /** [0, 1) source to break score ties at random, as kube-scheduler does; default Math.random. */
  random?: () => number;
  now?: () => Date;
}

function splitKey(key: string): [string, string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}

function priorityOf(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

/** Node changes that can turn "doesn't fit" into "fits". Heartbeats and condition timestamps are not among them. */
function nodeChangeMayHelp(oldNode: Node, newNode: Node): boolean {
  return (
    !jsonEqual(oldNode.status?.allocatable, newNode.status?.allocatable) ||
    !jsonEqual(oldNode.metadata?.labels, newNode.metadata?.labels) ||
    !jsonEqual(oldNode.spec?.taints, newNode.spec?.taints) ||
    (oldNode.spec?.unschedulable ?? false) !== (newNode.spec?.unschedulable ?? false)
  );
}

export class Scheduler {
  private readonly client: RestClient;
  private readonly informers: InformerFactory;
  private readonly recorder: EventRecorder;
  private readonly logger: Logger;
  private readonly reportAction: (action: string) => void;
  private readonly initialConfig: SchedulerConfig;
  private readonly settings: SchedulerSettings;
  private readonly schedulerName: string;
  private readonly random: () => number;
  private readonly now: () => Date;

  private config: SchedulerConfig;
  private profile: Profile;
  private appliedConfigVersion: string | undefined;
  private queue: SchedulingQueue | undefined;
  private cache = new SchedulerCache();
  /** Where the next cycle starts checking nodes, so that load spreads over all of them. */
  private nextStartNodeIndex = 0;
  /** Last explanation written per pod uid: the lister may not show our own write yet. */
  private readonly lastExplanation = new Map<string, string>();
  /** Writes about one pod run one after another. */
  private readonly podWrites = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();

  private pods!: Informer<KubeObject>;
  private nodes!: Informer<KubeObject>;
  private services!: Informer<KubeObject>;
  private storage: StorageLookup | undefined;
  private configMaps!: Informer<KubeObject>;

  constructor(options: SchedulerOptions) {
    this.client = options.client;
    this.informers = options.informers;
    this.recorder = options.recorder;
    this.logger = options.logger;
    this.reportAction = options.reportAction ?? (() => {});
    this.initialConfig = options.config ?? DEFAULT_SCHEDULER_CONFIG;
    this.settings = options.settings ?? KUBERNETES_SCHEDULER_SETTINGS;
    this.schedulerName = options.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => new Date());
    this.config = this.initialConfig;
    this.profile = buildProfile(this.config);
  }

  /** The configuration in force (the ConfigMap's once read). */
  currentConfig(): SchedulerConfig {
    return { ...this.config };
  }

  /** Schedules until the signal aborts; resolves once in-flight bindings and writes have finished. */
  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const queue = new SchedulingQueue({
      initialBackoffMs: this.settings.podInitialBackoffSeconds * 1000,
      maxBackoffMs: this.settings.podMaxBackoffSeconds * 1000,
      maxInUnschedulableMs: this.settings.podMaxInUnschedulablePodsSeconds * 1000,
      flushIntervalMs: this.settings.unschedulableFlushIntervalSeconds * 1000,
    });
    this.queue = queue;
    this.cache = new SchedulerCache();
    const onAbort = (): void => queue.close();
    signal.addEventListener('abort', onAbort, { once: true });
    const removeHandlers = this.registerHandlers(queue);
    try {
      // Safe when the host shares the factory: start() only starts informers not yet running.
      this.informers.start();
      try {
        await this.informers.waitForSync(signal);
      } catch (error) {
        if (signal.aborted) return;
        throw error;
      }
      this.logger.info('scheduler started', { scoringStrategy: this.config.scoringStrategy });
      let slice = this.now().getTime();
      for (;;) {
        // pop() resolves at once while pods wait, which only yields to microtasks: give the
        // event loop a turn now and then, or bindings, watch events and the leader Lease
        // renewal starve until the queue is empty (and leadership is lost on a big burst).
        if (this.now().getTime() - slice > YIELD_EVERY_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          slice = this.now().getTime();
        }
        const item = await queue.pop();
        if (!item) break;
        try {
          this.attempt(queue, item);
        } catch (error) {
          this.logger.error('scheduling attempt failed', { pod: item.key, error: String(error) });
          queue.retryWithBackoff(item.key, item.priority);
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      queue.close();
      for (const remove of removeHandlers) remove();
      await Promise.allSettled([...this.pending]);
      this.logger.info('scheduler stopped');
    }
  }

  private registerHandlers(queue: SchedulingQueue): (() => void)[] {
    this.pods = this.informers.informerFor(PODS);
    this.nodes = this.informers.informerFor(NODES);
    // Read through its lister only (default spreading); created here so start() runs it.
    this.services = this.informers.informerFor(SERVICES);
    this.configMaps = this.informers.informerFor(CONFIGMAPS);
    // Storage, for VolumeBinding: a claim getting bound (or a volume appearing) may let a pod fit.
    const storageInformers = [CLAIMS, VOLUMES, STORAGE_CLASSES].map((info) => this.informers.informerFor(info));
    const [claims, volumes, classes] = storageInformers;
    this.storage = {
      claim: (namespace, name) => claims.lister().get(namespace, name) as PersistentVolumeClaim | undefined,
      volume: (name) => volumes.lister().get(undefined, name) as PersistentVolume | undefined,
      storageClass: (name) => classes.lister().get(undefined, name) as StorageClass | undefined,
      defaultStorageClass: () =>
        (classes.lister().list() as unknown as StorageClass[]).find((c) => c.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true'),
    };
    const isSchedulerConfigMap = (cm: KubeObject): boolean =>
      cm.metadata.namespace === SCHEDULER_CONFIGMAP_NAMESPACE && cm.metadata.name === SCHEDULER_CONFIGMAP_NAME;
    return [
      this.pods.addEventHandler({
        onAdd: (obj) => this.onPodAdd(queue, obj as Pod),
        onUpdate: (oldObj, newObj) => this.onPodUpdate(queue, oldObj as Pod, newObj as Pod),
        onDelete: (obj) => this.onPodDelete(queue, obj as Pod),
      }),
      this.nodes.addEventHandler({
        onAdd: (obj) => {
          this.cache.setNode(obj as Node);
          queue.moveAllToActiveOrBackoff();
        },
        onUpdate: (oldObj, newObj) => {
          this.cache.setNode(newObj as Node);
          if (nodeChangeMayHelp(oldObj as Node, newObj as Node)) queue.moveAllToActiveOrBackoff();
        },
        onDelete: (obj) => this.cache.removeNode(obj.metadata.name ?? ''),
      }),
      ...storageInformers.map((informer) => informer.addEventHandler({ onAdd: () => queue.moveAllToActiveOrBackoff(), onUpdate: () => queue.moveAllToActiveOrBackoff() })),
      this.configMaps.addEventHandler({
        onAdd: (obj) => isSchedulerConfigMap(obj) && this.applyConfigMap(queue, obj as ConfigMap),
        onUpdate: (_old, obj) => isSchedulerConfigMap(obj) && this.applyConfigMap(queue, obj as ConfigMap),
        onDelete: (obj) => isSchedulerConfigMap(obj) && this.setConfig(queue, this.initialConfig, 'its ConfigMap was deleted'),
      }),
    ];
  }

  private isOurs(pod: Pod): boolean {
    return (
      !pod.spec?.nodeName &&
      (pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === this.schedulerName &&
      !pod.metadata?.deletionTimestamp &&
      !isTerminal(pod)
    );
  }

  private onPodAdd(queue: SchedulingQueue, pod: Pod): void {
    this.cache.setPod(pod);
    if (this.isOurs(pod)) queue.add(podKey(pod), priorityOf(pod));
  }

  private onPodUpdate(queue: SchedulingQueue, oldPod: Pod, newPod: Pod): void {
    const key = podKey(newPod);
    this.cache.setPod(newPod);
    if (newPod.spec?.nodeName) {
      if (!oldPod.spec?.nodeName) queue.delete(key);
      // A pod that finished frees its node.
      if (!isTerminal(oldPod) && isTerminal(newPod)) queue.moveAllToActiveOrBackoff();
      return;
    }
    if (!this.isOurs(newPod)) {
      queue.delete(key);
      return;
    }
    const changed = !jsonEqual(oldPod.spec, newPod.spec) || !jsonEqual(oldPod.metadata?.labels, newPod.metadata?.labels);
    // Our own annotation and status writes come back as updates too; only a changed pod is retried at once.
    if (changed) queue.update(key, priorityOf(newPod));
    else queue.add(key, priorityOf(newPod));
  }

  private onPodDelete(queue: SchedulingQueue, pod: Pod): void {
    const key = podKey(pod);
    queue.delete(key);
    const wasAssumed = this.cache.isAssumed(key);
    this.cache.removePod(pod);
    if (pod.metadata?.uid) this.lastExplanation.delete(pod.metadata.uid);
    if (wasAssumed || (pod.spec?.nodeName && !isTerminal(pod))) queue.moveAllToActiveOrBackoff();
  }

  private applyConfigMap(queue: SchedulingQueue, configMap: ConfigMap): void {
    const version = configMap.metadata?.resourceVersion;
    if (version && version === this.appliedConfigVersion) return; // a resync, already handled
    this.appliedConfigVersion = version;
    const text = configMap.data?.[SCHEDULER_CONFIGMAP_KEY];
    if (text === undefined) {
      this.setConfig(queue, this.initialConfig, `ConfigMap has no key ${SCHEDULER_CONFIGMAP_KEY}`);
      return;
    }
    try {
      this.setConfig(queue, parseSchedulerConfig(text), 'its ConfigMap changed');
    } catch (error) {
      const message = `${(error as Error).message}; keeping scoringStrategy ${this.config.scoringStrategy}`;
      this.logger.warn('invalid scheduler configuration', { configMap: `${SCHEDULER_CONFIGMAP_NAMESPACE}/${SCHEDULER_CONFIGMAP_NAME}`, error: message });
      void this.recorder.record(configMap as KubeObject, 'Warning', 'InvalidConfiguration', message);
    }
  }

  private setConfig(queue: SchedulingQueue, config: SchedulerConfig, why: string): void {
    if (jsonEqual(config, this.config)) return;
    this.config = { ...config };
    this.profile = buildProfile(this.config);
    this.logger.info('scheduler configuration changed', { scoringStrategy: config.scoringStrategy, percentageOfNodesToScore: config.percentageOfNodesToScore, why });
    this.reportAction(`scheduler scoring strategy is now ${config.scoringStrategy}`);
    queue.moveAllToActiveOrBackoff();
  }

  private attempt(queue: SchedulingQueue, item: QueuedPodInfo): void {
    const [namespace, name] = splitKey(item.key);
    const pod = this.pods.lister().get(namespace, name) as Pod | undefined;
    if (!pod || !this.isOurs(pod) || this.cache.isAssumed(item.key)) {
      queue.done(item.key);
      return;
    }
    const result = scheduleOne(pod, this.cache.snapshot(), this.profile, {
      services: this.services.lister().list() as Service[],
      random: this.random,
      storage: this.storage,
      percentageOfNodesToScore: this.config.percentageOfNodesToScore,
      startNodeIndex: this.nextStartNodeIndex,
      imageStates: this.cache.imageStates(),
    });
    this.nextStartNodeIndex = result.nextStartNodeIndex;
    const strategy = this.config.scoringStrategy;
    if (result.nodeName) {
      const nodeName = result.nodeName;
      this.cache.assumePod(pod, nodeName);
      queue.done(item.key);
      this.logger.debug('pod assumed', { pod: item.key, node: nodeName });
      this.writeFor(item.key, () => this.bind(queue, pod, nodeName, result.explanation, strategy));
    } else {
      queue.markUnschedulable(item.key);
      this.logger.debug('pod unschedulable', { pod: item.key, message: result.explanation.message });
      this.writeFor(item.key, () => this.recordFailure(pod, result.explanation, strategy));
    }
  }

  /** Chains the writes about one pod and tracks them so run() can wait for them. */
  private writeFor(key: string, write: () => Promise<void>): void {
    const previous = this.podWrites.get(key) ?? Promise.resolve();
    const next = previous.then(write).catch((error: unknown) => {
      this.logger.error('writing scheduling result failed', { pod: key, error: String(error) });
    });
    this.podWrites.set(key, next);
    this.pending.add(next);
    void next.then(() => {
      this.pending.delete(next);
      if (this.podWrites.get(key) === next) this.podWrites.delete(key);
    });
  }

  private async bind(queue: SchedulingQueue, pod: Pod, nodeName: string, explanation: ScheduleExplanation, strategy: SchedulerConfig['scoringStrategy']): Promise<void> {
    const key = podKey(pod);
    const namespace = pod.metadata?.namespace ?? '';
    const name = pod.metadata?.name ?? '';
    // The explanation rides on the binding: the API server copies a Binding's annotations onto the pod in the same write.
    const annotation = this.explanationToWrite(pod, explanation, strategy);
    try {
      await this.client.createSubresource(PODS, namespace, name, 'binding', {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: {
          name,
          namespace,
          ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}),
          ...(annotation !== undefined ? { annotations: { [EXPLANATION_ANNOTATION]: annotation } } : {}),
        },
        target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
      });
      if (annotation !== undefined) this.lastExplanation.set(pod.metadata?.uid ?? '', annotation);
    } catch (error) {
      this.cache.forgetPod(key);
      // The freed room may let other pods fit.
      queue.moveAllToActiveOrBackoff();
      if (isConflict(error) || isNotFound(error)) {
        this.logger.info('pod already bound or gone; dropping it', { pod: key, error: String(error) });
        return;
      }
      this.logger.warn('binding failed', { pod: key, node: nodeName, error: String(error) });
      void this.recorder.record(pod as KubeObject, 'Warning', 'FailedScheduling', `Binding rejected: ${(error as Error).message}`);
      queue.retryWithBackoff(key, priorityOf(pod));
      return;
    }
    this.logger.info('pod scheduled', { pod: key, node: nodeName });
    this.reportAction(`assigned pod ${key} to node ${nodeName}`);
    await this.recorder.record(pod as KubeObject, 'Normal', 'Scheduled', `Successfully assigned ${key} to ${nodeName}`);
  }

  private async recordFailure(pod: Pod, explanation: ScheduleExplanation, strategy: SchedulerConfig['scoringStrategy']): Promise<void> {
    const message = explanation.message ?? '';
    try {
      await this.writeExplanation(pod, explanation, strategy);
      await this.setUnschedulableCondition(pod, message);
    } catch (error) {
      if (isNotFound(error)) return;
      throw error;
    }
    await this.recorder.record(pod as KubeObject, 'Warning', 'FailedScheduling', message);
  }

  /** The annotation value to write, or undefined when the pod already tells the same outcome. */
  private explanationToWrite(pod: Pod, explanation: ScheduleExplanation, strategy: SchedulerConfig['scoringStrategy']): string | undefined {
    const value = explanationAnnotationValue(explanation, strategy, this.now());
    const previous = this.lastExplanation.get(pod.metadata?.uid ?? '') ?? pod.metadata?.annotations?.[EXPLANATION_ANNOTATION];
    return previous !== undefined && sameOutcome(previous, value) ? undefined : value;
  }

  private async writeExplanation(pod: Pod, explanation: ScheduleExplanation, strategy: SchedulerConfig['scoringStrategy']): Promise<void> {
    const value = this.explanationToWrite(pod, explanation, strategy);
    if (value === undefined) return;
    await this.client.patch(PODS, pod.metadata?.namespace, pod.metadata?.name ?? '', { metadata: { annotations: { [EXPLANATION_ANNOTATION]: value } } }, 'merge');
    this.lastExplanation.set(pod.metadata?.uid ?? '', value);
  }

  /** PodScheduled=False, reason Unschedulable, with the message; written only when it changes. */
  private async setUnschedulableCondition(pod: Pod, message: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const current =
        attempt === 0
          ? ((this.pods.lister().get(pod.metadata?.namespace, pod.metadata?.name ?? '') as Pod | undefined) ?? pod)
          : await this.client.get<KubeObject>(PODS, pod.metadata?.namespace, pod.metadata?.name ?? '').then((p) => p as Pod);
      if (current.spec?.nodeName || current.metadata?.uid !== pod.metadata?.uid) return;
      const conditions = current.status?.conditions ?? [];
      const existing = conditions.find((c) => c.type === 'PodScheduled');
      if (existing && existing.status === 'False' && existing.reason === 'Unschedulable' && existing.message === message) return;
      const condition: PodCondition = {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message,
        lastProbeTime: null as unknown as string,
        lastTransitionTime: existing?.status === 'False' && existing.lastTransitionTime ? existing.lastTransitionTime : rfc3339(this.now()),
      };
      const next = { ...structuredClone(current), status: { ...current.status, conditions: [...conditions.filter((c) => c.type !== 'PodScheduled'), condition] } };
      try {
        await this.client.updateStatus(PODS, next as unknown as KubeObject);
        return;
      } catch (error) {
        if (!isConflict(error) || attempt >= 2) throw error;
      }
    }
  }
}
