import type { ServiceEvents } from '@mmm/platform';

// What optimization exchanges on NATS (subjects mmm.v1.<entity>.<event>). It consumes
// model.promoted (durable consumer 'optimization': a production model gets its default
// scenario) and publishes optimization.completed for every stored scenario, with Nats-Msg-Id
// `optimization.completed:<workspace>:<scenario id>`.
export const EVENTS: ServiceEvents = {
  consumes: ['model.promoted'],
  publishes: ['optimization.completed'],
};

/** Durable name of its consumers (model.promoted: `optimization_model_promoted`). */
export const DURABLE = 'optimization';
