import { Agent, request } from 'node:http';

/** What one request of a flood got back. */
export interface FloodResponse {
  readonly origin: string;
  readonly status: number;
  readonly allowOrigin: string | undefined;
}

/** One GET with `Origin`, on a keep-alive agent. */
export function getWithOrigin(agent: Agent, url: string, origin: string): Promise<FloodResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: { Origin: origin } }, (res) => {
      res.resume();
      res.on('end', () => {
        const allowOrigin = res.headers['access-control-allow-origin'];
        resolve({ origin, status: res.statusCode ?? 0, allowOrigin: typeof allowOrigin === 'string' ? allowOrigin : undefined });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Sends one GET per origin to `url`, `concurrency` at a time (each worker sends its next request
 * when the previous one is answered), as a client flooding the server with made-up origins does.
 */
export async function flood(url: string, origins: readonly string[], concurrency: number): Promise<FloodResponse[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const responses: FloodResponse[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < origins.length) {
      const origin = origins[next++];
      responses.push(await getWithOrigin(agent, url, origin));
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  return responses;
}

/** `count` distinct made-up origins, as an attacker would send: valid serialized origins none of which is trusted. */
export function madeUpOrigins(count: number, label = 'flood'): string[] {
  return Array.from({ length: count }, (_, index) => `https://${label}-${index}.attacker.example`);
}

/** Polls `url` with `origin` every `everyMs` until `stop()` is called; resolves with every response. */
export function poll(url: string, origin: string, everyMs: number): { stop: () => Promise<FloodResponse[]> } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const responses: FloodResponse[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      responses.push(await getWithOrigin(agent, url, origin));
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      agent.destroy();
      return responses;
    },
  };
}
