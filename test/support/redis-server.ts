import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway `redis-server` on 127.0.0.1, a free port and a temporary directory, that a test can stop and start again. */
export interface TestRedisServer {
  /** `redis://127.0.0.1:<port>`: the same after a restart. */
  readonly url: string;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. */
  close(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
/** Debian's package puts it on the PATH (`/usr/bin/redis-server`); `REDIS_SERVER` points elsewhere. */
const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Spawns the server and resolves once it accepts connections; rejects with its output when it cannot start. */
function spawnServer(port: number, dir: string): Promise<ChildProcess> {
  // No persistence, no other interface: a server only this test knows of.
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
  const child = spawn(REDIS_SERVER, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`redis-server did not start within ${READY_TIMEOUT_MS} ms:\n${output}`)),
      READY_TIMEOUT_MS,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', read);
        resolve(child);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) => fail(new Error(`cannot run ${REDIS_SERVER}: ${error.message}`)));
    child.once('exit', (code) => fail(new Error(`redis-server exited with code ${code}:\n${output}`)));
  });
}

function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Starts a server, or returns why it cannot (no `redis-server` installed, it failed to start). */
export async function startTestRedisServer(): Promise<TestRedisServer | { readonly unavailable: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'cors-redis-'));
  const port = await freePort();
  let child: ChildProcess;
  try {
    child = await spawnServer(port, dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    return { unavailable: (error as Error).message };
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => stopped(child),
    start: async () => {
      child = await spawnServer(port, dir);
    },
    close: async () => {
      await stopped(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
