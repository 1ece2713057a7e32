/**
 * Child process of the handshake benchmark (bench/websockets.ts): one gateway app with
 * Nest's adapter or this library's, listening on 127.0.0.1:0.
 *
 *   node dist-bench/bench/websockets-server.js <io | cors-io | ws | cors-ws>
 *
 * Reports `{ type: 'ready', port }` over the IPC channel; exits when the parent goes away.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { CorsModule } from '../lib/index.js';
import { CorsIoAdapter } from '../lib/websockets/socket-io.js';
import { CorsWsAdapter } from '../lib/websockets/ws.js';

/** The handshake variants: Nest's adapter, and the same adapter with the CORS check. */
export const HANDSHAKE_VARIANTS = ['io', 'cors-io', 'ws', 'cors-ws'] as const;
export type HandshakeVariant = (typeof HANDSHAKE_VARIANTS)[number];

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

async function start(variant: HandshakeVariant): Promise<INestApplication> {
  const io = variant === 'io' || variant === 'cors-io';
  // Both variants of a transport import CorsModule with the same policy: only the adapter differs.
  @Module({ imports: [CorsModule.forRoot({ origin: ORIGINS, credentials: true })], providers: [io ? IoGateway : WsGateway] })
  class HandshakeBenchModule {}
  const app = await NestFactory.create(HandshakeBenchModule, { logger: ['error'] });
  const adapters = {
    io: () => new IoAdapter(app),
    'cors-io': () => new CorsIoAdapter(app),
    ws: () => new WsAdapter(app),
    'cors-ws': () => new CorsWsAdapter(app),
  };
  app.useWebSocketAdapter(adapters[variant]());
  await app.listen(0, '127.0.0.1');
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
