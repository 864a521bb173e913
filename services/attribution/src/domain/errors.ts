import { AttributionOptionError } from '@mmm/core';
import { ValidationError } from '@mmm/platform';

/** One problem of a runAttribution request: the input field and what is wrong with it. */
export interface InputProblem {
  field: string;
  message: string;
}

/**
 * A request the data cannot serve (an unknown dataset or model, a window longer than the data,
 * a mapping naming channels that do not exist): BAD_USER_INPUT, each problem with its field,
 * its message starting with the field's name.
 */
export class AttributionInputError extends ValidationError {
  constructor(readonly problems: InputProblem[]) {
    super(problems.map((p) => ({ field: p.field, message: `${p.field}: ${p.message}` })));
  }
}

/** The core's option errors (windowDays, halfLifeDays, methods, ...) as input errors. */
export function asInputError(error: unknown): unknown {
  if (error instanceof AttributionOptionError) {
    return new AttributionInputError([{ field: error.option, message: error.problem }]);
  }
  if (error instanceof RangeError && error.message.startsWith('markov: order')) {
    return new AttributionInputError([{ field: 'markovOrder', message: error.message }]);
  }
  return error;
}
