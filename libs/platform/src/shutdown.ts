import type { Logger } from './logger';

export type ShutdownHook = () => Promise<void> | void;

interface Hook {
  name: string;
  run: ShutdownHook;
  phase: ShutdownPhase;
}

/**
 * Order in which hooks run: stop taking requests, finish or hand back work,
 * drain NATS, flush telemetry. Hooks of one phase run in parallel.
 */
export const SHUTDOWN_PHASES = ['http', 'work', 'nats', 'telemetry'] as const;
export type ShutdownPhase = (typeof SHUTDOWN_PHASES)[number];

const hooks: Hook[] = [];
let shuttingDown: Promise<void> | undefined;

/** Registers something to do at shutdown; returns a function that unregisters it. */
export function onShutdown(
  name: string,
  run: ShutdownHook,
  phase: ShutdownPhase = 'work',
): () => void {
  const hook = { name, run, phase };
  hooks.push(hook);
  return () => {
    const index = hooks.indexOf(hook);
    if (index >= 0) hooks.splice(index, 1);
  };
}

export function isShuttingDown(): boolean {
  return shuttingDown !== undefined;
}

/** Runs every hook once, phase by phase; later calls return the same promise. */
export function shutdown(logger?: Logger, reason = 'shutdown'): Promise<void> {
  shuttingDown ??= (async () => {
    logger?.info('shutting down', { reason });
    for (const phase of SHUTDOWN_PHASES) {
      const current = hooks.filter((h) => h.phase === phase);
      await Promise.all(
        current.map(async (hook) => {
          try {
            await hook.run();
          } catch (error) {
            logger?.error('shutdown hook failed', { hook: hook.name, error: String(error) });
          }
        }),
      );
    }
    logger?.info('shut down', { reason });
  })();
  return shuttingDown;
}

export interface SignalOptions {
  logger?: Logger;
  /** Exit anyway after this long (a stuck hook must not keep a pod alive); default 10 s. */
  timeoutMs?: number;
  /** For tests: what to do instead of process.exit. */
  exit?: (code: number) => void;
}

let installed: ((signal: NodeJS.Signals) => void) | undefined;

/**
 * On SIGTERM or SIGINT: run the shutdown hooks, then exit 0 (1 when the
 * timeout guard fires first).
 */
export function handleSignals(options: SignalOptions = {}): void {
  if (installed) return;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shuttingDown) return;
    const guard = setTimeout(() => {
      options.logger?.error('shutdown timed out, exiting', { timeoutMs });
      exit(1);
    }, timeoutMs);
    guard.unref();
    void shutdown(options.logger, signal).then(() => {
      clearTimeout(guard);
      exit(0);
    });
  };
  installed = onSignal;
  // `on`, not `once`: a second signal (Ctrl-C reaches the whole process group
  // while a supervisor sends SIGTERM too) must not fall back to Node's default
  // of dying on the spot.
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** For tests that run several lifecycles in one process. */
export function resetShutdownForTests(): void {
  hooks.length = 0;
  shuttingDown = undefined;
  if (installed) {
    process.off('SIGTERM', installed);
    process.off('SIGINT', installed);
    installed = undefined;
  }
}
