import type { KubeObject } from '../api/kube-object.ts';

// The one interface between the API server and persistence. Only the API server
// holds a Store; every other component goes through the API.
//
// Resources are named by their catalog key (`pods`, `deployments.apps`, see
// core/api/resource-catalog.ts `resourceKey`). Cluster-scoped objects use namespace ''.
// resourceVersion is one counter for the whole store, as in etcd: every write gets
// the next number, written into metadata.resourceVersion as a decimal string.

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: WatchEventType;
  resource: string;
  /** The object after the change (for DELETED: as it was when removed, with the deletion's resourceVersion). */
  object: KubeObject;
}

export interface ListOptions {
  /** Only this namespace; undefined lists every namespace. */
  namespace?: string;
  /** Keep objects for which this returns true (label and field selectors are compiled to this). */
  filter?: (obj: KubeObject) => boolean;
  /** At most this many items; the result then carries a `continue` token. */
  limit?: number;
  /** Token from a previous limited list. */
  continue?: string;
}

export interface ListResult {
  /** Sorted by namespace, then name. */
  items: KubeObject[];
  /** The last durable resourceVersion when the list was taken: watch from here to see every later change, once. */
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface Preconditions {
  resourceVersion?: string;
  uid?: string;
}

export interface DeleteOptions {
  preconditions?: Preconditions;
  /**
   * When set (pods on a node), the object is only marked: deletionTimestamp = now + seconds
   * and metadata.deletionGracePeriodSeconds; whoever runs it removes it later with 0.
   * 0 or undefined removes now unless finalizers remain.
   */
  gracePeriodSeconds?: number;
}

export interface WatchOptions {
  namespace?: string;
  /**
   * Send every change after this resourceVersion. '0' or undefined: start now.
   * Throws ApiError 410 (Expired) when the history no longer reaches back that far.
   */
  resourceVersion?: string;
}

export interface Watch {
  stop(): void;
}

export interface Store {
  /** Reads the data file; fails with a message naming the file when it is unreadable. */
  open(): Promise<void>;
  close(): Promise<void>;

  /** Reads show acknowledged (durable) writes only, never one a crash could still lose. */
  get(resource: string, namespace: string, name: string): Promise<KubeObject | undefined>;
  list(resource: string, options?: ListOptions): Promise<ListResult>;

  /** AlreadyExists when the key is taken. Resolves once the write is on disk. */
  create(resource: string, obj: KubeObject): Promise<KubeObject>;
  /**
   * Replaces the object. A non-empty obj.metadata.resourceVersion must equal the stored one
   * (Conflict otherwise). NotFound when absent. If the object carries a deletionTimestamp and
   * no finalizers are left, it is removed instead (DELETED event). Resolves once on disk.
   */
  update(resource: string, obj: KubeObject): Promise<KubeObject>;
  /**
   * Deletes, honouring preconditions (Conflict on mismatch), finalizers (mark with
   * deletionTimestamp while any remain) and graceful deletion. Returns the object as it
   * now is (marked) or as it was (removed), and whether it was removed.
   */
  delete(resource: string, namespace: string, name: string, options?: DeleteOptions): Promise<{ object: KubeObject; removed: boolean }>;

  /** Events for one resource, in resourceVersion order, delivered after they are durable. */
  watch(resource: string, options: WatchOptions, onEvent: (event: WatchEvent) => void): Watch;

  /** The latest resourceVersion handed out and made durable. */
  currentResourceVersion(): string;
}
