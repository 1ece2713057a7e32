import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** One request as the API's HTTP server received it, and the status it answered. */
export interface SeenRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly origin: string | undefined;
  readonly requestMethod: string | undefined;
  readonly requestHeaders: string | undefined;
  readonly cookie: string | undefined;
  /** Set when the response is finished. */
  status?: number;
}

/**
 * Records every request an HTTP server receives, from its `'request'` event (so it sees
 * preflights and requests that never reach a handler), to tell what the browser sent:
 * whether it sent a preflight, whether it sent the actual request after one.
 */
export class RequestLog {
  readonly seen: SeenRequest[] = [];

  private readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    const entry: SeenRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      origin: req.headers.origin,
      requestMethod: header(req, 'access-control-request-method'),
      requestHeaders: header(req, 'access-control-request-headers'),
      cookie: req.headers.cookie,
    };
    this.seen.push(entry);
    res.once('finish', () => {
      entry.status = res.statusCode;
    });
  };

  constructor(private readonly server: Server) {
    server.on('request', this.listener);
  }

  /** Requests with this method to exactly this path (and query). */
  to(method: string, url: string): SeenRequest[] {
    return this.seen.filter((r) => r.method === method && r.url === url);
  }

  /** Preflights (OPTIONS with Access-Control-Request-Method) for this path. */
  preflightsTo(url: string): SeenRequest[] {
    return this.to('OPTIONS', url).filter((r) => r.requestMethod !== undefined);
  }

  detach(): void {
    this.server.off('request', this.listener);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
