import type { Client, ClientConfig } from 'pg';
import type { ListenerTiming } from '../sample-config.js';

/** What a LISTEN connection reports. */
export interface ChangeHandlers {
  /** A notification on the channel: its payload, untrusted (anyone who can connect can NOTIFY). */
  onPayload(payload: string | undefined): void;
  /** LISTEN is active, the first time or again after a reconnection. */
  onSubscribed(): void;
  /** The connection dropped, or an attempt to reconnect failed; another attempt is scheduled. */
  onLost(error: unknown): void;
}

export interface PostgresListenerOptions {
  readonly connectionString: string;
  /** A plain lower-case identifier (the repository checks it): it goes into `LISTEN` as is. */
  readonly channel: string;
  /** Shown in `pg_stat_activity`, so operators (and tests) can find this connection. */
  readonly applicationName: string;
  readonly timing: ListenerTiming;
}

/** How long `stop()` waits for a goodbye from the server before letting the socket go. */
const STOP_TIMEOUT_MS = 2_000;
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * One dedicated PostgreSQL connection that LISTENs on a channel, outside the pool (a pooled
 * connection would LISTEN for whoever borrowed it). When it drops, it reconnects with
 * exponential backoff and jitter (so that a restarted server is not hit by every instance at
 * once), LISTENs again, then reports `onSubscribed`. A `SELECT 1` heartbeat detects a
 * connection that died silently (a firewall dropping an idle connection sends nothing).
 */
export class PostgresListener {
  private client: Client | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private beatPending = false;
  private delayMs: number;
  private stopped = false;

  constructor(
    private readonly ClientClass: new (config: ClientConfig) => Client,
    private readonly options: PostgresListenerOptions,
    private readonly handlers: ChangeHandlers,
  ) {
    this.delayMs = options.timing.reconnectInitialMs;
  }

  /** Connects and LISTENs. Resolves either way: a failure is reported to `onLost` and retried. */
  start(): Promise<void> {
    return this.connect();
  }

  /** Closes the connection and cancels any reconnection; nothing is reported afterwards. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeatTimer);
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)));
    await Promise.race([client.end().catch(() => undefined), timeout]);
    clearTimeout(timer);
  }

  private async connect(): Promise<void> {
    this.retryTimer = undefined;
    if (this.stopped) return;
    const { connectionString, channel, applicationName } = this.options;
    const client = new this.ClientClass({
      connectionString,
      application_name: applicationName,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    this.client = client;
    this.beatPending = false;
    client.on('notification', (message) => {
      if (this.client === client && message.channel === channel) this.handlers.onPayload(message.payload);
    });
    // Kept for the client's whole life: an 'error' event without a listener would crash the process.
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('the connection was closed')));
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.client !== client) return; // lost or stopped while connecting
    this.delayMs = this.options.timing.reconnectInitialMs;
    this.heartbeatTimer = setInterval(() => this.beat(client), this.options.timing.heartbeatMs).unref();
    // After LISTEN, never before: a change committed in between would be missed.
    this.handlers.onSubscribed();
  }

  private beat(client: Client): void {
    if (this.beatPending) {
      // Judged after the event loop's next read of the sockets: an answer that arrived while
      // the process was busy (a long GC pause, a blocking call) is not mistaken for silence.
      setImmediate(() => {
        if (this.client === client && this.beatPending) {
          this.lost(client, new Error(`no answer to a heartbeat within ${this.options.timing.heartbeatMs} ms`));
        }
      });
      return;
    }
    this.beatPending = true;
    client.query('SELECT 1').then(
      () => (this.beatPending = false),
      (error: unknown) => this.lost(client, error),
    );
  }

  private lost(client: Client, error: unknown): void {
    if (this.client !== client) return; // an old connection's late events
    this.client = undefined;
    clearInterval(this.heartbeatTimer);
    // Ends the socket (at once when a query hangs); late events of this client are ignored above.
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.handlers.onLost(error);
    const { reconnectMaxMs } = this.options.timing;
    const delay = this.delayMs / 2 + Math.random() * (this.delayMs / 2);
    this.delayMs = Math.min(this.delayMs * 2, reconnectMaxMs);
    this.retryTimer = setTimeout(() => void this.connect(), delay).unref();
  }
}
