export { freePort, natsServerBinary, startNatsServer } from './nats-server';
export type { NatsServer, NatsServerOptions } from './nats-server';
export { eventually, startServiceForTest } from './service';
export type { GraphQLReply, ServiceUnderTest } from './service';
export * from './identity';
export { notAudit, storeSnapshot } from './store';
export { fuzzRuns, type FuzzRuns } from './fuzz';
