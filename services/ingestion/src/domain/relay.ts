import type { KvIndex, Logger } from '@mmm/platform';

/** What the relay needs of a record: who it is and whether an announcement is pending. */
export interface PendingRecord {
  id: string;
  workspaceId: string;
  pendingEvent: string | null;
}

export interface EventRelayOptions<R extends PendingRecord> {
  /** Announces a pending record afresh; true when it is announced (now or meanwhile). */
  catalog: { announcePending(record: R): Promise<boolean> };
  index: Pick<KvIndex<R>, 'documents'>;
  /** Time between sweeps. */
  intervalMs: number;
  logger?: Logger;
}

export interface EventRelay {
  /** One sweep now; resolves with the number of changes announced. */
  sweep(options?: { all?: boolean }): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Announces committed dataset changes whose event never reached JetStream (publish failed after
 * the KV commit, or the process died in between), so that `dataset.ingested` and
 * `dataset.deleted` go out without anyone sending the file again (one relay per kind of record:
 * media mix datasets, journey datasets). A sweep at start takes every
 * pending record; later sweeps take those still pending at the same KV revision as at the
 * previous sweep, leaving a request that is announcing one right now to finish. A repeat is
 * harmless: the Nats-Msg-Id makes JetStream drop it.
 */
export function startEventRelay<R extends PendingRecord>(
  options: EventRelayOptions<R>,
): EventRelay {
  const { catalog, index, logger } = options;
  let seen = new Map<string, number>();
  let running: Promise<number> | undefined;
  let stopped = false;
  // The first sweep that sees the index takes every pending record (nothing is in flight yet).
  let catchUp = true;
  let retry: NodeJS.Timeout | undefined;

  const key = (record: R) => `${record.workspaceId}/${record.id}`;

  const sweepOnce = async (all: boolean): Promise<number> => {
    const documents = index.documents();
    if (documents === null) {
      // The index is still loading: the start-up sweep tries again shortly, not an interval later.
      if (catchUp && !stopped) {
        retry = setTimeout(() => void sweep().catch(() => undefined), 100);
        retry.unref();
      }
      return 0;
    }
    const takeAll = all || catchUp;
    catchUp = false;
    const pending = documents.filter((d) => d.value.pendingEvent !== null);
    const previous = seen;
    seen = new Map(pending.map((d) => [key(d.value), d.revision]));
    let announced = 0;
    for (const document of pending) {
      if (stopped) break;
      if (!takeAll && previous.get(key(document.value)) !== document.revision) continue;
      try {
        if (await catalog.announcePending(document.value)) {
          announced += 1;
          seen.delete(key(document.value));
        }
      } catch (error) {
        logger?.warn('event relay could not announce a dataset change', {
          datasetId: document.value.id,
          workspaceId: document.value.workspaceId,
          error: String(error),
        });
      }
    }
    if (announced > 0) logger?.info('event relay announced pending changes', { announced });
    return announced;
  };

  const sweep = (sweepOptions: { all?: boolean } = {}) => {
    // One sweep at a time: a slow one is not overtaken by the next tick.
    running ??= sweepOnce(sweepOptions.all ?? false).finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer = setInterval(() => {
    void sweep().catch(() => undefined);
  }, options.intervalMs);
  timer.unref();
  void sweep().catch(() => undefined);

  return {
    sweep,
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(retry);
      await running?.catch(() => undefined);
    },
  };
}
