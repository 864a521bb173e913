/**
 * The worker side of the search pool (see evaluator.ts): builds its objectives once from
 * the init message, then answers batches. Loaded as compiled JS from dist/src/search/.
 */
import { parentPort } from 'node:worker_threads';
import type { GenomeObjectives, ObjectivesFactoryRef } from './evaluator';

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

let objectives: GenomeObjectives | null = null;
const port = parentPort;

if (port) {
  port.on('message', (message: InitMessage | EvaluateMessage) => {
    try {
      if (message.kind === 'init') {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const loaded = require(message.ref.module) as Record<string, unknown>;
        const factory = loaded[message.ref.factory];
        if (typeof factory !== 'function') {
          throw new Error(`${message.ref.module} does not export ${message.ref.factory}`);
        }
        objectives = (factory as (context: unknown) => GenomeObjectives)(message.context);
        port.postMessage({
          id: message.id,
          dimension: objectives.dimension,
          objectiveCount: objectives.objectiveCount,
        });
        return;
      }
      if (!objectives) throw new Error('search worker used before init');
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
