// Preloaded (`node --require`) into the services and the gateway that `npm start` runs. The start
// script opens an IPC channel to each of them; when the start script dies without stopping them
// (SIGKILL, a crash), the kernel closes its end, the channel disconnects, and the child shuts
// down the way SIGTERM asks it to (drain, exit 0) instead of living on as an orphan.

export {};

if (process.channel) {
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  // The channel alone must not keep a child alive that would otherwise exit.
  process.channel.unref();
}
