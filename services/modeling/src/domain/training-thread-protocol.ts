import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FitMediaMixOptions, MediaMixTableSpec } from '@mmm/core';

// How the process talks to a training thread (training-thread.ts).

export type ThreadInput = {
  table: MediaMixTableSpec;
  /** Fit options without functions (they do not cross threads). */
  options: FitMediaMixOptions;
  /** The engine's worker threads inside this thread (0: none). */
  workers: number;
  keepCandidates: boolean;
  /** Posterior steps after the search, for a 'fit' part's progress (0 without posterior). */
  chainSteps: number;
} & (
  | { kind: 'fit' }
  | { kind: 'trials'; from: number; to: number }
  | { kind: 'chains'; from: number; to: number; trials: Uint8Array[] }
  | { kind: 'finish'; trials: Uint8Array[]; chains: Uint8Array[] }
);

export type ThreadMessage =
  | {
      type: 'progress';
      phase: string;
      done: number;
      total: number;
      best: { nrmse: number; decompRssd: number } | null;
    }
  | { type: 'result'; bytes: Uint8Array }
  | { type: 'error'; engine: boolean; message: string };

export interface ThreadProgress {
  phase: string;
  done: number;
  total: number;
  best: { nrmse: number; decompRssd: number } | null;
}

/** The engine refused the data or settings (its RangeError): retrying cannot help. */
export class EngineRefusal extends Error {
  override readonly name = 'EngineRefusal';
}

/** Workers run compiled JS: under ts-jest this file is src/*.ts and the thread is in dist/. */
export function trainingThreadFile(): string {
  if (__filename.endsWith('.ts')) {
    return path.resolve(__dirname, '..', '..', 'dist', 'src', 'domain', 'training-thread.js');
  }
  return path.join(__dirname, 'training-thread.js');
}

export interface RunningThread {
  result: Promise<Uint8Array>;
  /** Terminates the thread and its pool at once; the result then rejects. */
  cancel(): Promise<void>;
}

/** Starts a training thread on `input`; progress arrives on `onProgress`. */
export function startTrainingThread(
  input: ThreadInput,
  onProgress: (progress: ThreadProgress) => void,
): RunningThread {
  const worker = new Worker(trainingThreadFile(), { workerData: input });
  let cancelled = false;
  const result = new Promise<Uint8Array>((resolve, reject) => {
    let settled = false;
    worker.on('message', (message: ThreadMessage) => {
      if (message.type === 'progress') onProgress(message);
      else if (message.type === 'result') {
        settled = true;
        resolve(message.bytes);
        void worker.terminate();
      } else {
        settled = true;
        reject(message.engine ? new EngineRefusal(message.message) : new Error(message.message));
        void worker.terminate();
      }
    });
    worker.on('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    worker.on('exit', (code) => {
      if (settled) return;
      settled = true;
      reject(new Error(cancelled ? 'cancelled' : `training thread exited with code ${code}`));
    });
  });
  return {
    result,
    async cancel() {
      cancelled = true;
      await worker.terminate();
    },
  };
}
