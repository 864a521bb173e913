import { parseModel, type MediaMixModel } from '@mmm/core';
import { readModelArtifact, type WorkspaceStorage } from '@mmm/platform';

// Models are read through the platform's model contract (the artifact modeling stores), never
// through modeling's code, and parsed by the engine, which checks every field.

export interface ModelSource {
  /** The workspace's model, or null when it has none with that id. */
  load(workspaceId: string, modelId: string): Promise<MediaMixModel | null>;
}

/**
 * Parsed models kept in memory (a model version never changes; `capacity` most recently read).
 * A missing model is not kept: it may be stored a moment later.
 */
export function modelSource(
  storage: (workspaceId: string) => Pick<WorkspaceStorage, 'files'>,
  capacity = 32,
): ModelSource {
  const cache = new Map<string, Promise<MediaMixModel | null>>();
  return {
    load(workspaceId, modelId) {
      const key = `${workspaceId}/${modelId}`;
      let found = cache.get(key);
      if (found) {
        // Most recently used last.
        cache.delete(key);
        cache.set(key, found);
        return found;
      }
      found = readModelArtifact(storage(workspaceId), modelId).then((artifact) =>
        artifact ? parseModel(artifact.model) : null,
      );
      cache.set(key, found);
      void found.then(
        (model) => model ?? cache.delete(key),
        () => cache.delete(key),
      );
      while (cache.size > capacity) cache.delete(cache.keys().next().value as string);
      return found;
    },
  };
}
