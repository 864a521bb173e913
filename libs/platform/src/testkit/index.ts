export { freePort, natsServerBinary, startNatsServer } from './nats-server';
export type { NatsServer, NatsServerOptions } from './nats-server';
