/**
 * Run counts of property-based tests. `scale` (the tests' FUZZ_SCALE) shrinks or grows every
 * property's run count, e.g. 0.05 for a quick look; the counts are printed at the end
 * (docs/RELIABILITY.md keeps them).
 */
export interface FuzzRuns {
  /** fast-check's parameters for a property of `runs` runs at scale 1, counted under `name`. */
  counted(name: string, runs: number): { numRuns: number };
  /** One line: the runs per property and their total. */
  summary(): string;
}

export function fuzzRuns(suite: string, scale: number): FuzzRuns {
  const figures: Record<string, number> = {};
  return {
    counted(name, runs) {
      const numRuns = Math.max(1, Math.round(runs * scale));
      figures[name] = (figures[name] ?? 0) + numRuns;
      return { numRuns };
    },
    summary() {
      const total = Object.values(figures).reduce((a, b) => a + b, 0);
      return `${suite} fuzz runs: ${JSON.stringify(figures)}; total ${total}`;
    },
  };
}
