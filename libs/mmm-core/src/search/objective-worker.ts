/**
 * The worker side of the search pool (see evaluator.ts): builds its objectives once from
 * the init message, then answers batches and runs tasks (e.g. one posterior chain) on the same
 * context. Loaded as compiled JS from dist/src/search/.
 */
import { parentPort } from 'node:worker_threads';
import type { GenomeObjectives, ObjectivesFactoryRef, WorkerTaskRef } from './evaluator';

interface InitMessage {
  kind: 'init';
  id: number;
  ref: ObjectivesFactoryRef;
  context: unknown;
}
interface EvaluateMessage {
  kind: 'evaluate';
  id: number;
  genomes: Float64Array;
  count: number;
}
interface TaskMessage {
  kind: 'task';
  id: number;
  ref: WorkerTaskRef;
  args: unknown;
}

type WorkerTask = (context: unknown, args: unknown, onSteps: (done: number) => void) => unknown;

let objectives: GenomeObjectives | null = null;
let initContext: unknown = null;
const port = parentPort;

if (port) {
  port.on('message', (message: InitMessage | EvaluateMessage | TaskMessage) => {
    try {
      if (message.kind === 'init') {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const loaded = require(message.ref.module) as Record<string, unknown>;
        const factory = loaded[message.ref.factory];
        if (typeof factory !== 'function') {
          throw new Error(`${message.ref.module} does not export ${message.ref.factory}`);
        }
        objectives = (factory as (context: unknown) => GenomeObjectives)(message.context);
        initContext = message.context;
        port.postMessage({
          id: message.id,
          dimension: objectives.dimension,
          objectiveCount: objectives.objectiveCount,
        });
        return;
      }
      if (!objectives) throw new Error('search worker used before init');
      if (message.kind === 'task') {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const loaded = require(message.ref.module) as Record<string, unknown>;
        const task = loaded[message.ref.task];
        if (typeof task !== 'function') {
          throw new Error(`${message.ref.module} does not export ${message.ref.task}`);
        }
        const id = message.id;
        const result = (task as WorkerTask)(initContext, message.args, (done) =>
          port.postMessage({ id, progress: done }),
        );
        port.postMessage({ id, result }, typedArrayBuffers(result));
        return;
      }
      const out = new Float64Array(message.count * objectives.objectiveCount);
      objectives.evaluateInto(message.genomes, message.count, out);
      port.postMessage({ id: message.id, out }, [out.buffer]);
    } catch (error) {
      port.postMessage({
        id: message.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  });
}

/** The buffers of a result's top-level typed arrays, moved instead of copied. */
function typedArrayBuffers(result: unknown): ArrayBuffer[] {
  if (typeof result !== 'object' || result === null) return [];
  const buffers: ArrayBuffer[] = [];
  for (const value of Object.values(result)) {
    if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) {
      if (!buffers.includes(value.buffer)) buffers.push(value.buffer);
    }
  }
  return buffers;
}
