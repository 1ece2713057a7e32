// WebSocket gateways from the packed tarball: the adapters load from their subpaths
// (nestjs-cors-policy/socket.io, nestjs-cors-policy/ws) and refuse untrusted handshakes.
// Only consumers that install the websocket packages run it; the others prove that the
// root entry loads without them.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Module, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { CorsModule, CorsPolicy, CorsPolicyMap } from 'nestjs-cors-policy';
import { CorsIoAdapter } from 'nestjs-cors-policy/socket.io';
import { CorsWsAdapter } from 'nestjs-cors-policy/ws';
import WebSocket, { WebSocketServer } from 'ws';

const TRUSTED = 'https://app.example.com';

@WebSocketGateway({ namespace: '/live', path: '/io' })
@CorsPolicy({ origin: [TRUSTED] })
class LiveGateway {
  @SubscribeMessage('ping')
  ping() {
    return { event: 'pong', data: 'pong' };
  }
}

@WebSocketGateway({ path: '/events' })
@CorsPolicy({ origin: [TRUSTED] })
class EventsGateway {
  @SubscribeMessage('ping')
  ping() {
    return { event: 'pong', data: 'pong' };
  }
}

@Module({ imports: [CorsModule.forRoot({ origin: false })], providers: [LiveGateway] })
class IoModule {}

@Module({ imports: [CorsModule.forRoot({ origin: false })], providers: [EventsGateway] })
class WsModule {}

// A raw `ws` server on the app's HTTP server (no adapter): the upgrade gate judges it with its path's policy.
@Module({ imports: [CorsModule.forRoot({ origin: false, paths: { '/collab': { origin: [TRUSTED] } } })] })
class RawWsModule {}

/** 101 when the handshake is accepted, else the HTTP status of the refusal. */
function handshake(url: string, origin: string): Promise<number> {
  const socket = new WebSocket(url, { origin });
  return new Promise((resolve) => {
    socket.once('open', () => {
      socket.terminate();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      socket.terminate();
      resolve(response.statusCode ?? 0);
    });
    socket.once('error', () => resolve(0));
  });
}

async function start(module: Type, adapter: 'io' | 'ws'): Promise<{ app: INestApplication; base: string }> {
  const app = await NestFactory.create(module, { logger: ['error'] });
  app.useWebSocketAdapter(adapter === 'io' ? new CorsIoAdapter(app) : new CorsWsAdapter(app));
  await app.listen(0, '127.0.0.1');
  return { app, base: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

describe('WebSocket gateways from the packed tarball', () => {
  let io: { app: INestApplication; base: string };
  let ws: { app: INestApplication; base: string };
  before(async () => {
    io = await start(IoModule, 'io');
    ws = await start(WsModule, 'ws');
  });
  after(async () => {
    await io?.app.close();
    await ws?.app.close();
  });

  it('CorsIoAdapter: trusted websocket handshake 101, untrusted 403; polling gets the CORS headers', async () => {
    const url = `${io.base.replace(/^http/, 'ws')}/io/?EIO=4&transport=websocket`;
    assert.equal(await handshake(url, TRUSTED), 101);
    assert.equal(await handshake(url, 'https://evil.example'), 403);
    const polling = await fetch(`${io.base}/io/?EIO=4&transport=polling`, { headers: { origin: TRUSTED } });
    await polling.arrayBuffer();
    assert.equal(polling.status, 200);
    assert.equal(polling.headers.get('access-control-allow-origin'), TRUSTED);
    const refused = await fetch(`${io.base}/io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } });
    await refused.arrayBuffer();
    assert.equal(refused.status, 403);
  });

  it('CorsWsAdapter: trusted handshake 101, untrusted 403', async () => {
    const url = `${ws.base.replace(/^http/, 'ws')}/events`;
    assert.equal(await handshake(url, TRUSTED), 101);
    assert.equal(await handshake(url, 'https://evil.example'), 403);
  });

  it('the upgrade gate: a raw ws server on the HTTP server, trusted 101, untrusted 403, no connection handler run', async () => {
    const app = await NestFactory.create(RawWsModule, { logger: ['error'] });
    await app.listen(0, '127.0.0.1');
    let connections = 0;
    const wss = new WebSocketServer({ server: app.getHttpServer(), path: '/collab' });
    wss.on('connection', () => void connections++);
    try {
      const url = `${(await app.getUrl()).replace('[::1]', '127.0.0.1').replace(/^http/, 'ws')}/collab`;
      assert.equal(await handshake(url, 'https://evil.example'), 403);
      assert.equal(connections, 0);
      assert.equal(await handshake(url, TRUSTED), 101);
    } finally {
      wss.close();
      await app.close();
    }
  });

  it('the policy map lists the gateways', () => {
    const [live] = io.app
      .get(CorsPolicyMap)
      .list()
      .filter((entry) => entry.method === 'WS');
    assert.equal(live?.handler, 'LiveGateway');
    assert.deepEqual(live?.gateway, { adapter: 'socket.io', port: 0, namespace: '/live' });
  });
});
