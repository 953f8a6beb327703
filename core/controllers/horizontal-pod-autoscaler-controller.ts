import type { Scale } from 'kubernetes-types/autoscaling/v1.js';
import type {
  HorizontalPodAutoscaler,
  HorizontalPodAutoscalerCondition,
  HorizontalPodAutoscalerStatus,
  MetricSpec,
  MetricStatus,
} from 'kubernetes-types/autoscaling/v2.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isConflict, isNotFound } from '../api/errors.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { parseLabelSelector } from '../api/label-selector.ts';
import { formatCpu, formatMemory, toBytes, toMillicores } from '../api/quantity.ts';
import { findByKind, type ResourceInfo } from '../api/resource-catalog.ts';
import type { Informer } from '../client/informer.ts';
import { runWorkers, WorkQueue } from '../client/workqueue.ts';
import type { Controller, ControllerContext, ControllerFactory } from './controller.ts';
import { calculateResourceReplicas, MetricsUnavailableError, type ResourceName } from './hpa-replica-calculator.ts';
import { normalizeDesiredReplicas, type Recommendation, type ScaleEvent } from './hpa-scaling-rules.ts';
import { jsonEqual } from '../store/json-clone.ts';

// Kubernetes' HorizontalPodAutoscaler controller (pkg/controller/podautoscaler) for
// autoscaling/v2 Resource metrics (cpu, memory; Utilization or AverageValue). Every sync
// period each HPA reads its target through the scale subresource, the target's pods'
// usage through metrics.k8s.io (as Kubernetes does, over the API), computes the replica
// count, stabilizes and limits it, rescales, and writes status with its conditions.
// Other metric types (Pods, Object, External, ContainerResource) need a custom metrics
// API Kubelab does not have: they are reported invalid and do not count.

const HPAS = findByKind('autoscaling/v2', 'HorizontalPodAutoscaler') as ResourceInfo;
const PODS = findByKind('v1', 'Pod') as ResourceInfo;

type Hpa = HorizontalPodAutoscaler & KubeObject;
type PodObject = Pod & KubeObject;

interface PodMetricsList {
  items?: { metadata?: { name?: string }; containers?: { name: string; usage?: Record<string, string> }[] }[];
}

interface MetricResult {
  replicas: number;
  status: MetricStatus;
  /** "cpu resource utilization (percentage of request)" */
  description: string;
}

interface Memory {
  recommendations: Recommendation[];
  scaleEvents: ScaleEvent[];
}

class HorizontalPodAutoscalerController implements Controller {
  readonly name = 'horizontal-pod-autoscaler';
  private ctx!: ControllerContext;
  private hpas!: Informer<Hpa>;
  private pods!: Informer<PodObject>;
  private readonly queue = new WorkQueue<string>({ baseDelayMs: 500, maxDelayMs: 60_000 });
  /** Per HPA key: recent recommendations (stabilization) and rescales (behavior policies). */
  private readonly memory = new Map<string, Memory>();

  async run(ctx: ControllerContext): Promise<void> {
    this.ctx = ctx;
    this.hpas = ctx.informers.informerFor<Hpa>(HPAS);
    this.pods = ctx.informers.informerFor<PodObject>(PODS);
    const enqueue = (hpa: Hpa) => this.queue.add(`${hpa.metadata.namespace}/${hpa.metadata.name}`);
    this.hpas.addEventHandler({
      onAdd: enqueue,
      // Our own status writes come back as updates: only a spec change is worth an early sync.
      onUpdate: (old, hpa) => {
        if (old.metadata.generation !== hpa.metadata.generation) enqueue(hpa);
      },
      onDelete: (hpa) => this.memory.delete(`${hpa.metadata.namespace}/${hpa.metadata.name}`),
    });
    await ctx.informers.waitForSync(ctx.signal);
    if (ctx.signal.aborted) return;
    ctx.signal.addEventListener('abort', () => this.queue.shutDown(), { once: true });
    await runWorkers(this.queue, ctx.settings.workers, (key) => this.syncAndRequeue(key), {
      onError: (key, error) => ctx.logger.warn('autoscaler sync failed; retrying', { hpa: key, error: String(error) }),
    });
  }

  private async syncAndRequeue(key: string): Promise<void> {
    const [namespace, name] = key.split('/');
    const hpa = this.hpas.lister().get(namespace, name);
    if (!hpa) {
      this.memory.delete(key);
      return;
    }
    // The next periodic sync is set before this one runs, so a failing sync still comes back.
    this.queue.addAfter(key, this.ctx.settings.horizontalPodAutoscalerSyncPeriodSeconds * 1000);
    await this.sync(key, hpa);
  }

  private async sync(key: string, hpa: Hpa): Promise<void> {
    const { client, recorder } = this.ctx;
    const namespace = hpa.metadata.namespace ?? 'default';
    const spec = hpa.spec!;
    const ref = spec.scaleTargetRef;
    const conditions = new Conditions(hpa.status?.conditions ?? []);
    const status: HorizontalPodAutoscalerStatus = {
      currentReplicas: hpa.status?.currentReplicas ?? 0,
      desiredReplicas: hpa.status?.desiredReplicas ?? 0,
      currentMetrics: hpa.status?.currentMetrics,
      lastScaleTime: hpa.status?.lastScaleTime,
      observedGeneration: hpa.metadata.generation,
    };

    const targetInfo = findByKind(ref.apiVersion ?? '', ref.kind);
    let scale: Scale;
    try {
      if (!targetInfo?.subresources.includes('scale')) {
        throw new Error(`${ref.apiVersion ?? ''}/${ref.kind} has no scale subresource: Kubelab scales Deployments and ReplicaSets`);
      }
      scale = await client.getScale(targetInfo, namespace, ref.name);
    } catch (error) {
      const message = `the HPA controller was unable to get the target's current scale: ${errorMessage(error)}`;
      conditions.set('AbleToScale', 'False', 'FailedGetScale', message);
      await recorder.record(hpa, 'Warning', 'FailedGetScale', errorMessage(error));
      await this.writeStatus(hpa, status, conditions);
      return;
    }
    conditions.set('AbleToScale', 'True', 'SucceededGetScale', 'the HPA controller was able to get the target\'s current scale');

    const currentReplicas = scale.spec?.replicas ?? 0;
    status.currentReplicas = scale.status?.replicas ?? currentReplicas;
    const minReplicas = spec.minReplicas ?? 1;
    const maxReplicas = spec.maxReplicas;
    let desired = currentReplicas;
    let reason = '';
    let rescale = false;

    if (currentReplicas === 0 && minReplicas !== 0) {
      conditions.set('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
      status.desiredReplicas = 0;
      status.currentMetrics = undefined;
      await this.writeStatus(hpa, status, conditions);
      return;
    }
    if (currentReplicas > maxReplicas) {
      desired = maxReplicas;
      reason = 'Current number of replicas above Spec.MaxReplicas';
      rescale = true;
    } else if (currentReplicas < minReplicas) {
      desired = minReplicas;
      reason = 'Current number of replicas below Spec.MinReplicas';
      rescale = true;
    } else {
      const computed = await this.computeReplicas(hpa, scale, currentReplicas, conditions, status);
      if (computed === undefined) {
        // No usable metric: keep the size, say why (ScalingActive False set by computeReplicas).
        status.desiredReplicas = currentReplicas;
        await this.writeStatus(hpa, status, conditions);
        return;
      }
      const now = Date.now();
      const memory = this.memoryOf(key);
      const normalized = normalizeDesiredReplicas({
        currentReplicas,
        desired: computed.replicas,
        minReplicas,
        maxReplicas,
        now,
        recommendations: memory.recommendations,
        downscaleStabilizationSeconds: this.ctx.settings.horizontalPodAutoscalerDownscaleStabilizationSeconds,
        behavior: spec.behavior,
        scaleEvents: memory.scaleEvents,
      });
      this.remember(memory, { at: now, replicas: computed.replicas }, spec.behavior !== undefined);
      conditions.set('AbleToScale', 'True', normalized.ableToScale.reason, normalized.ableToScale.message);
      conditions.set('ScalingLimited', normalized.limited.status, normalized.limited.reason, normalized.limited.message);
      desired = normalized.replicas;
      rescale = desired !== currentReplicas;
      reason = desired > currentReplicas ? `${computed.description} above target` : 'All metrics below target';
    }

    if (rescale) {
      try {
        await client.updateScale(targetInfo, namespace, ref.name, { ...scale, spec: { ...scale.spec, replicas: desired } });
      } catch (error) {
        conditions.set('AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${errorMessage(error)}`);
        await recorder.record(hpa, 'Warning', 'FailedRescale', `New size: ${desired}; reason: ${reason}; error: ${errorMessage(error)}`);
        await this.writeStatus(hpa, status, conditions);
        throw error;
      }
      conditions.set('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`);
      await recorder.record(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desired}; reason: ${reason}`);
      this.ctx.reportAction(`scaled ${ref.kind} ${namespace}/${ref.name} from ${currentReplicas} to ${desired} (${reason})`);
      this.memoryOf(key).scaleEvents.push({ at: Date.now(), change: desired - currentReplicas });
      status.lastScaleTime = rfc3339(new Date());
    }
    status.desiredReplicas = desired;
    await this.writeStatus(hpa, status, conditions);
  }

  /** The highest recommendation over the metrics that could be computed; undefined when none could. */
  private async computeReplicas(
    hpa: Hpa,
    scale: Scale,
    currentReplicas: number,
    conditions: Conditions,
    status: HorizontalPodAutoscalerStatus,
  ): Promise<{ replicas: number; description: string } | undefined> {
    const namespace = hpa.metadata.namespace ?? 'default';
    const selectorText = scale.status?.selector ?? '';
    let pods: Pod[];
    try {
      if (!selectorText) throw new Error('the target\'s scale has no selector');
      const selector = parseLabelSelector(selectorText);
      if (selector.isEmpty()) throw new Error('the target\'s selector selects every pod');
      pods = this.pods.lister().listNamespace(namespace, selector);
    } catch (error) {
      conditions.set('ScalingActive', 'False', 'InvalidSelector', `the HPA target's scale has an invalid selector: ${errorMessage(error)}`);
      await this.ctx.recorder.record(hpa, 'Warning', 'SelectorRequired', errorMessage(error));
      return undefined;
    }

    let usage: PodMetricsList | undefined;
    let usageError = '';
    try {
      usage = (await this.ctx.client.raw('GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(namespace)}/pods?labelSelector=${encodeURIComponent(selectorText)}`)) as PodMetricsList;
    } catch (error) {
      usageError = `unable to fetch metrics from resource metrics API: ${errorMessage(error)}`;
    }

    const results: MetricResult[] = [];
    const errors: { reason: string; message: string }[] = [];
    for (const metric of hpa.spec?.metrics ?? []) {
      try {
        results.push(this.computeMetric(metric, pods, usage, usageError, currentReplicas));
      } catch (error) {
        const resource = metric.resource?.name ?? metric.type;
        const reason = metric.type === 'Resource' ? 'FailedGetResourceMetric' : `FailedGet${metric.type}Metric`;
        errors.push({ reason, message: `failed to get ${resource} utilization: ${errorMessage(error)}` });
        await this.ctx.recorder.record(hpa, 'Warning', reason, errorMessage(error));
      }
    }
    if (results.length === 0) {
      const first = errors[0] ?? { reason: 'FailedGetResourceMetric', message: 'the HPA has no metrics' };
      const total = (hpa.spec?.metrics ?? []).length;
      conditions.set('ScalingActive', 'False', first.reason, `the HPA was unable to compute the replica count: invalid metrics (${errors.length} invalid out of ${total}), first error is: ${first.message}`);
      await this.ctx.recorder.record(hpa, 'Warning', 'FailedComputeMetricsReplicas', `invalid metrics (${errors.length} invalid out of ${total}), first error is: ${first.message}`);
      return undefined;
    }
    status.currentMetrics = results.map((r) => r.status);
    const best = results.reduce((a, b) => (b.replicas > a.replicas ? b : a));
    // A metric that failed during a scale down must not let the others shrink the target (Kubernetes' rule).
    if (errors.length > 0 && best.replicas < currentReplicas) {
      conditions.set('ScalingActive', 'False', errors[0].reason, `the HPA was unable to compute the replica count: ${errors[0].message}`);
      return { replicas: currentReplicas, description: best.description };
    }
    conditions.set('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${best.description}`);
    return { replicas: best.replicas, description: best.description };
  }

  private computeMetric(metric: MetricSpec, pods: Pod[], usage: PodMetricsList | undefined, usageError: string, currentReplicas: number): MetricResult {
    if (metric.type !== 'Resource' || !metric.resource) {
      throw new Error(`metric type ${metric.type} needs a custom or external metrics API, which Kubelab does not serve: use type Resource (cpu or memory)`);
    }
    const resource = metric.resource.name;
    if (resource !== 'cpu' && resource !== 'memory') throw new Error(`resource ${resource} has no metrics: use cpu or memory`);
    if (!usage) throw new Error(usageError);
    const perPod = new Map<string, number>();
    for (const item of usage.items ?? []) {
      let total = 0;
      for (const container of item.containers ?? []) {
        const value = container.usage?.[resource];
        if (value !== undefined) total += resource === 'cpu' ? toMillicores(value) : toBytes(value);
      }
      perPod.set(item.metadata?.name ?? '', total);
    }
    const target = metric.resource.target;
    const utilizationTarget = target.type === 'Utilization' ? (target.averageUtilization ?? 80) : undefined;
    const valueTarget = target.type === 'AverageValue' && target.averageValue !== undefined ? quantityOf(resource, String(target.averageValue)) : undefined;
    if (utilizationTarget === undefined && valueTarget === undefined) throw new Error(`target type ${target.type} is not supported for Resource metrics: use Utilization or AverageValue`);
    const calculation = calculateResourceReplicas({
      currentReplicas,
      resource,
      target: { averageUtilization: utilizationTarget, averageValue: valueTarget },
      pods,
      usage: perPod,
    });
    const averageValue = resource === 'cpu' ? formatCpu(Math.round(calculation.averageValue)) : formatMemory(Math.round(calculation.averageValue));
    return {
      replicas: calculation.replicas,
      description: utilizationTarget !== undefined ? `${resource} resource utilization (percentage of request)` : `${resource} resource`,
      status: {
        type: 'Resource',
        resource: {
          name: resource,
          current: utilizationTarget !== undefined ? { averageUtilization: calculation.utilization, averageValue } : { averageValue },
        },
      },
    };
  }

  private memoryOf(key: string): Memory {
    let memory = this.memory.get(key);
    if (!memory) this.memory.set(key, (memory = { recommendations: [], scaleEvents: [] }));
    return memory;
  }

  /** Keeps what the longest window (one hour at most, Kubernetes' cap) can still look at. */
  private remember(memory: Memory, recommendation: Recommendation, withBehavior: boolean): void {
    const horizon = recommendation.at - (withBehavior ? 3600 : Math.max(this.ctx.settings.horizontalPodAutoscalerDownscaleStabilizationSeconds, 1)) * 1000;
    memory.recommendations = memory.recommendations.filter((r) => r.at > horizon);
    memory.recommendations.push(recommendation);
    memory.scaleEvents = memory.scaleEvents.filter((e) => e.at > recommendation.at - 3600 * 1000);
  }

  private async writeStatus(hpa: Hpa, status: HorizontalPodAutoscalerStatus, conditions: Conditions): Promise<void> {
    const next: HorizontalPodAutoscalerStatus = { ...status, conditions: conditions.list() };
    if (!next.currentMetrics) delete next.currentMetrics;
    if (!next.lastScaleTime) delete next.lastScaleTime;
    if (jsonEqual(next, hpa.status ?? {})) return;
    try {
      // With the cached copy's resourceVersion: a sync that ran on a copy older than the
      // last status write (the cache lags the API) must not wipe what that write recorded
      // (lastScaleTime, conditions). It gets 409, and the next periodic sync writes from
      // the newer copy.
      await this.ctx.client.updateStatus<Hpa>(HPAS, { ...hpa, status: next });
    } catch (error) {
      if (!isNotFound(error) && !isConflict(error)) throw error;
    }
  }
}

/** HPA conditions in Kubernetes' order; lastTransitionTime moves only when the status flips. */
class Conditions {
  private readonly byType = new Map<string, HorizontalPodAutoscalerCondition>();

  constructor(existing: readonly HorizontalPodAutoscalerCondition[]) {
    for (const condition of existing) this.byType.set(condition.type, condition);
  }

  set(type: 'AbleToScale' | 'ScalingActive' | 'ScalingLimited', status: 'True' | 'False', reason: string, message: string): void {
    const previous = this.byType.get(type);
    const lastTransitionTime = previous && previous.status === status ? previous.lastTransitionTime : rfc3339(new Date());
    this.byType.set(type, { type, status, reason, message, lastTransitionTime });
  }

  list(): HorizontalPodAutoscalerCondition[] {
    return ['AbleToScale', 'ScalingActive', 'ScalingLimited'].flatMap((type) => (this.byType.has(type) ? [this.byType.get(type)!] : []));
  }
}

function quantityOf(resource: ResourceName, text: string): number {
  return resource === 'cpu' ? toMillicores(text) : toBytes(text);
}

function errorMessage(error: unknown): string {
  return error instanceof MetricsUnavailableError || error instanceof Error ? error.message : String(error);
}

function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const horizontalPodAutoscalerController: ControllerFactory = () => new HorizontalPodAutoscalerController();
