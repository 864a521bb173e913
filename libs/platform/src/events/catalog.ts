import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type MessageInitShape,
  type MessageShape,
} from '@bufbuild/protobuf';
import { AttributionCompletedSchema } from '../gen/mmm/v1/attribution_pb';
import { DatasetDeletedSchema, DatasetIngestedSchema } from '../gen/mmm/v1/dataset_pb';
import { DeadLetterSchema, TrainingTaskSchema } from '../gen/mmm/v1/jobs_pb';
import { ModelPromotedSchema, ModelTrainedSchema } from '../gen/mmm/v1/model_pb';
import { OptimizationCompletedSchema } from '../gen/mmm/v1/optimization_pb';
import { ReportGeneratedSchema } from '../gen/mmm/v1/report_pb';
import {
  TrainingCompletedSchema,
  TrainingFailedSchema,
  TrainingProgressSchema,
  TrainingRequestedSchema,
} from '../gen/mmm/v1/training_pb';
import { DLQ_SUBJECT_PREFIX, JOBS_SUBJECT_PREFIX, SUBJECT_ROOT } from '../nats';

// What travels on NATS: every event and job with its subject and protobuf message, the headers
// the platform sets, and the codecs.

/** Every event of the platform: its subject and its protobuf message. */
export const EVENTS = {
  'dataset.ingested': {
    subject: `${SUBJECT_ROOT}.dataset.ingested`,
    schema: DatasetIngestedSchema,
  },
  'dataset.deleted': { subject: `${SUBJECT_ROOT}.dataset.deleted`, schema: DatasetDeletedSchema },
  'training.requested': {
    subject: `${SUBJECT_ROOT}.training.requested`,
    schema: TrainingRequestedSchema,
  },
  'training.progress': {
    subject: `${SUBJECT_ROOT}.training.progress`,
    schema: TrainingProgressSchema,
  },
  'training.completed': {
    subject: `${SUBJECT_ROOT}.training.completed`,
    schema: TrainingCompletedSchema,
  },
  'training.failed': { subject: `${SUBJECT_ROOT}.training.failed`, schema: TrainingFailedSchema },
  'model.trained': { subject: `${SUBJECT_ROOT}.model.trained`, schema: ModelTrainedSchema },
  'model.promoted': { subject: `${SUBJECT_ROOT}.model.promoted`, schema: ModelPromotedSchema },
  'optimization.completed': {
    subject: `${SUBJECT_ROOT}.optimization.completed`,
    schema: OptimizationCompletedSchema,
  },
  'attribution.completed': {
    subject: `${SUBJECT_ROOT}.attribution.completed`,
    schema: AttributionCompletedSchema,
  },
  'report.generated': {
    subject: `${SUBJECT_ROOT}.report.generated`,
    schema: ReportGeneratedSchema,
  },
} as const;

export type EventName = keyof typeof EVENTS;
export type EventSchema<N extends EventName> = (typeof EVENTS)[N]['schema'];
/** The decoded message of an event, e.g. `EventMessage<'dataset.ingested'>`. */
export type EventMessage<N extends EventName> = MessageShape<EventSchema<N>>;
/** What publishEvent accepts: a message or a plain object of its fields. */
export type EventInit<N extends EventName> = MessageInitShape<EventSchema<N>>;

/** Jobs on the work-queue stream: one worker takes each. */
export const JOBS = {
  training: { subject: `${JOBS_SUBJECT_PREFIX}.training`, schema: TrainingRequestedSchema },
  /** A part of a training job (a range of trials or chains), for any worker to take. */
  trainingTask: { subject: `${JOBS_SUBJECT_PREFIX}.training-task`, schema: TrainingTaskSchema },
} as const;
export type JobName = keyof typeof JOBS;
export type JobMessage<J extends JobName> = MessageShape<(typeof JOBS)[J]['schema']>;
export type JobInit<J extends JobName> = MessageInitShape<(typeof JOBS)[J]['schema']>;

/** Header names the platform sets on every message. */
export const HEADERS = {
  msgId: 'Nats-Msg-Id',
  requestId: 'x-request-id',
  workspaceId: 'x-workspace-id',
  eventType: 'mmm-event',
  /** On dead letters: why the message was parked. */
  error: 'mmm-error',
  /** On dead letters: the failure code (FAILURE_CODES). */
  errorCode: 'mmm-error-code',
} as const;

export function eventSubject(name: EventName): string {
  return EVENTS[name].subject;
}

/** The dead-letter subject of a subject: mmm.v1.jobs.training -> mmm.v1.dlq.jobs.training. */
export function deadLetterSubject(subject: string): string {
  const rest = subject.startsWith(SUBJECT_ROOT + '.')
    ? subject.slice(SUBJECT_ROOT.length + 1)
    : subject;
  return `${DLQ_SUBJECT_PREFIX}.${rest}`;
}

export function encodeEvent<N extends EventName>(name: N, message: EventInit<N>): Uint8Array {
  const schema = EVENTS[name].schema as DescMessage;
  return toBinary(schema, create(schema, message as MessageInitShape<DescMessage>));
}

export function decodeEvent<N extends EventName>(name: N, data: Uint8Array): EventMessage<N> {
  return fromBinary(EVENTS[name].schema as DescMessage, data) as EventMessage<N>;
}

export function decodeJob<J extends JobName>(name: J, data: Uint8Array): JobMessage<J> {
  return fromBinary(JOBS[name].schema as DescMessage, data) as JobMessage<J>;
}

/** Decodes the dead letter written by the consumers. */
export function decodeDeadLetter(data: Uint8Array) {
  return fromBinary(DeadLetterSchema, data);
}
