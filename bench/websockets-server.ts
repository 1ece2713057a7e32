/**
 * Child process of the handshake benchmark (bench/websockets.ts): one gateway app with
 * Nest's adapter or this library's, or a raw `ws` server on the app's HTTP server, with or
 * without CorsModule (and so its upgrade gate), listening on 127.0.0.1:0.
 *
 *   node dist-bench/bench/websockets-server.js <variant of HANDSHAKE_VARIANTS>
 *
 * Reports `{ type: 'ready', port }` over the IPC channel; exits when the parent goes away.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { WebSocketServer } from 'ws';
import { CorsModule } from '../lib/index.js';
import { CorsIoAdapter } from '../lib/websockets/socket-io.js';
import { CorsWsAdapter } from '../lib/websockets/ws.js';

/**
 * The handshake variants, per upgrade source: without CorsModule (`-bare`: no upgrade gate),
 * with it and Nest's adapter (`io`, `ws`: the gate alone), with it and this library's adapter
 * (`cors-io`, `cors-ws`: gate and adapter check); a raw `ws` server and Apollo's `graphql-ws`
 * subscriptions, each without and with CorsModule.
 */
export const HANDSHAKE_VARIANTS = [
  'io-bare',
  'io',
  'cors-io',
  'ws-bare',
  'ws',
  'cors-ws',
  'raw-bare',
  'raw-gated',
  'gql-bare',
  'gql-gated',
] as const;
export type HandshakeVariant = (typeof HANDSHAKE_VARIANTS)[number];

/** The upgrade source a variant's client talks to. */
export type HandshakeSource = 'io' | 'ws' | 'raw' | 'gql';
export function sourceOf(variant: HandshakeVariant): HandshakeSource {
  if (variant.startsWith('raw')) return 'raw';
  if (variant.startsWith('gql')) return 'gql';
  return variant.includes('io') ? 'io' : 'ws';
}

/** The path of the raw `ws` server (`new WebSocketServer({ server, path })`). */
export const RAW_PATH = '/raw';

/** The origin every benchmark client sends: trusted, among 20 listed origins (one `Set` lookup). */
export const BENCH_ORIGIN = 'https://app.example.com';
const ORIGINS = [BENCH_ORIGIN, ...Array.from({ length: 19 }, (_, i) => `https://partner-${i}.example.com`)];

@WebSocketGateway()
class IoGateway {
  @SubscribeMessage('ping')
  ping(): string {
    return 'pong';
  }
}

@WebSocketGateway({ path: '/events' })
class WsGateway {
  @SubscribeMessage('ping')
  ping(): string {
    return 'pong';
  }
}

/** Apollo with `graphql-ws` subscriptions on `/graphql`, as `GraphQLModule` wires them. */
const graphql = () =>
  GraphQLModule.forRoot<ApolloDriverConfig>({
    driver: ApolloDriver,
    typeDefs: 'type Query { hello: String } type Subscription { ticks: String }',
    resolvers: { Query: { hello: () => 'world' } },
    subscriptions: { 'graphql-ws': true },
  });

async function start(variant: HandshakeVariant): Promise<INestApplication> {
  const source = sourceOf(variant);
  const bare = variant.endsWith('-bare');
  // Every variant with CorsModule has the same policy: between them only the adapter differs.
  @Module({
    imports: [...(bare ? [] : [CorsModule.forRoot({ origin: ORIGINS, credentials: true })]), ...(source === 'gql' ? [graphql()] : [])],
    providers: source === 'io' ? [IoGateway] : source === 'ws' ? [WsGateway] : [],
  })
  class HandshakeBenchModule {}
  const app = await NestFactory.create(HandshakeBenchModule, { logger: ['error'] });
  if (source === 'io') app.useWebSocketAdapter(variant === 'cors-io' ? new CorsIoAdapter(app) : new IoAdapter(app));
  if (source === 'ws') app.useWebSocketAdapter(variant === 'cors-ws' ? new CorsWsAdapter(app) : new WsAdapter(app));
  await app.listen(0, '127.0.0.1');
  // As collaboration backends wire it: the gate (if any) is already on the server, and puts itself ahead.
  if (source === 'raw') new WebSocketServer({ server: app.getHttpServer() as Server, path: RAW_PATH });
  return app;
}

// Only as a forked child (the parent imports this file for its variant list).
if (process.argv[1]?.endsWith('websockets-server.js') && process.argv[2] !== undefined) {
  const variant = process.argv[2] as HandshakeVariant;
  if (!HANDSHAKE_VARIANTS.includes(variant)) throw new Error(`unknown handshake variant ${variant}`);
  process.on('disconnect', () => process.exit(0));
  start(variant).then(
    (app) => process.send?.({ type: 'ready', port: ((app.getHttpServer() as Server).address() as AddressInfo).port }),
    (error: unknown) => {
      process.send?.({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
      process.exit(1);
    },
  );
}
