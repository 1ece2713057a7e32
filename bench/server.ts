/**
 * Child process: one app variant, forked by bench/run.ts.
 *
 *   node dist-bench/bench/server.js serve   <variant> <routes>   listens on 127.0.0.1:0, reports its port
 *   node --expose-gc dist-bench/bench/server.js startup <variant> <routes>   reports init time and memory, exits
 *
 * Talks to the parent over the IPC channel of fork(); exits when the parent goes away.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { callbackCounter, createBenchApp, resolverCalls } from './app.js';
import { variantByName, type ChildMessage, type ParentMessage } from './shared.js';

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      console.log(JSON.stringify(message));
      return resolve();
    }
    process.send(message, undefined, {}, (error: Error | null) => (error ? reject(error) : resolve()));
  });
}

let session: Session | undefined;

function post<T>(method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session!.post(method, params, (error: Error | null, result?: unknown) => (error ? reject(error) : resolve(result as T))),
  );
}

async function startProfile(intervalMicros: number): Promise<void> {
  session = new Session();
  session.connect();
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: intervalMicros });
  await post('Profiler.start');
}

async function stopProfile(file: string): Promise<void> {
  const { profile } = await post<{ profile: object }>('Profiler.stop');
  session!.disconnect();
  session = undefined;
  writeFileSync(file, JSON.stringify(profile));
}

async function serve(variantName: string, routes: number): Promise<void> {
  const variant = variantByName(variantName);
  const started = performance.now();
  const app: INestApplication = await createBenchApp({ variant, routes });
  const startupMs = performance.now() - started;
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as Server;
  // Node's default keep-alive timeout (5 s) is shorter than some measurements' idle gaps.
  server.keepAliveTimeout = 60_000;
  const { port } = server.address() as AddressInfo;

  let closing = false;
  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    server.closeAllConnections?.();
    await app.close().catch(() => undefined);
    process.exit(0); // a normal exit: --cpu-prof writes its profile now
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'counters') {
      void send({ type: 'counters', resolverCalls: Object.fromEntries(resolverCalls), callbackCalls: callbackCounter.calls });
    } else if (message.type === 'cpu') {
      const usage = process.cpuUsage();
      void send({ type: 'cpu', cpuMicros: usage.user + usage.system });
    } else if (message.type === 'profile-start') {
      startProfile(message.intervalMicros).then(
        () => send({ type: 'profile-started' }),
        (error: Error) => send({ type: 'error', message: error.stack ?? error.message }),
      );
    } else if (message.type === 'profile-stop') {
      stopProfile(message.file).then(
        () => send({ type: 'profile-saved', file: message.file }),
        (error: Error) => send({ type: 'error', message: error.stack ?? error.message }),
      );
    } else if (message.type === 'exit') {
      void close();
    }
  });
  process.on('disconnect', () => void close());
  process.on('SIGTERM', () => void close());
  await send({ type: 'ready', port, startupMs });
}

async function startup(variantName: string, routes: number): Promise<void> {
  const variant = variantByName(variantName);
  const gc = (globalThis as { gc?: () => void }).gc;
  const started = performance.now();
  const app = await createBenchApp({ variant, routes });
  const initMs = performance.now() - started;
  gc?.();
  gc?.();
  const memory = process.memoryUsage();
  await send({
    type: 'startup',
    result: {
      variant: variant.name,
      routes: routes + 2,
      origins: typeof variant.origins === 'number' ? variant.origins : 0,
      initMs,
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
    },
  });
  await app.close();
  process.exit(0);
}

const [mode, variantName, routesArgument] = process.argv.slice(2);
const routes = Number(routesArgument ?? 20);
const main = mode === 'startup' ? startup : mode === 'serve' ? serve : undefined;
if (main === undefined || variantName === undefined) {
  console.error('usage: server.js serve|startup <variant> [routes]');
  process.exit(2);
}
main(variantName, routes).catch(async (error: unknown) => {
  await send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }).catch(() => undefined);
  process.exit(1);
});
