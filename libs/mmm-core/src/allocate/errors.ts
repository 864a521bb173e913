/**
 * The allocator's two failures a user can fix, as typed errors: a scenario field that is wrong
 * on its own (unknown channel, negative budget, a share above 1), and rules that are each fine
 * but cannot all hold at once. Services map both to BAD_USER_INPUT, the CLI to exit code 2.
 */

/** One field of the scenario is invalid; `field` is its path, e.g. `channels.tv.maxMultiple`. */
export class AllocationScenarioError extends Error {
  override readonly name = 'AllocationScenarioError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field}: ${problem}`);
  }
}

/** No allocation satisfies every rule; `rules` names the ones that conflict. */
export class InfeasibleAllocationError extends Error {
  override readonly name = 'InfeasibleAllocationError';
  constructor(
    readonly rules: string[],
    detail: string,
  ) {
    super(`rules conflict (${rules.join(', ')}): ${detail}`);
  }
}
