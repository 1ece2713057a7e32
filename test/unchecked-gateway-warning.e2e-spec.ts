/**
 * A gateway served by Nest's plain IoAdapter or WsAdapter (the app forgot
 * `app.useWebSocketAdapter(new CorsIoAdapter(app))`) accepts every Origin: the app says so at
 * startup, with the line to add to main.ts, and stays quiet where the handshakes are checked.
 */
import { describe, expect, it } from '@jest/globals';
import { Module, type INestApplication, type Type, type WebSocketAdapter } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { WebSocketGateway } from '@nestjs/websockets';
import { CorsModule } from '../lib/index.js';
import { CorsIoAdapter } from '../lib/websockets/socket-io.js';
import { createPlatformFactoryApp, PLATFORMS } from './support/apps.js';
import { connectIo, connectWs } from './support/socket-clients.js';
import { RecordingLogger } from './support/recording-logger.js';

const EVIL = 'https://evil.example';
const UNCHECKED = /served by a WebSocket adapter that checks no Origin/;

@WebSocketGateway({ namespace: '/chat' })
class ChatGateway {}

@WebSocketGateway({ path: '/events' })
class EventsGateway {}

// Checks handshakes itself: not warned.
@WebSocketGateway({
  namespace: '/own',
  allowRequest: (_req: unknown, callback: (error: null, ok: boolean) => void) => callback(null, false),
})
class OwnCheckGateway {}

function appModule(...gateways: Type[]): Type {
  @Module({ imports: [CorsModule.forRoot({ origin: ['https://app.example.com'] })], providers: gateways })
  class GatewayModule {}
  return GatewayModule;
}

async function start(
  module: Type,
  platform: (typeof PLATFORMS)[number],
  adapter?: (app: INestApplication) => WebSocketAdapter,
): Promise<{ app: INestApplication; url: string; warnings: string[] }> {
  const logger = new RecordingLogger();
  const app = await createPlatformFactoryApp(module, { logger }, platform);
  if (adapter !== undefined) app.useWebSocketAdapter(adapter(app));
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), warnings: logger.warnings };
}

describe.each(PLATFORMS)('a gateway without the CORS adapter, on %s', (platform) => {
  it("warns with the line for main.ts when Nest's default IoAdapter serves it: the upgrade gate refuses an evil websocket handshake, but polling lets it in", async () => {
    const { app, url, warnings } = await start(appModule(ChatGateway), platform);
    try {
      const lines = warnings.filter((warning) => UNCHECKED.test(warning));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain('@WebSocketGateway on ChatGateway: option "app.useWebSocketAdapter": ChatGateway is served by');
      expect(lines[0]).toContain(
        "Fix: add to main.ts, before app.listen(): app.useWebSocketAdapter(new CorsIoAdapter(app)) with import { CorsIoAdapter } from 'nestjs-cors-policy/socket.io'",
      );
      // The upgrade gate judges the websocket transport by the module defaults...
      expect((await connectIo(url, '/chat', EVIL, 'websocket')).connected).toBe(false);
      // ...but nothing checks socket.io's polling transport: what the warning is about.
      const polling = await connectIo(url, '/chat', EVIL, 'polling');
      expect(polling.connected).toBe(true);
      if (polling.connected) polling.socket.close();
    } finally {
      await app.close();
    }
  });

  it('warns for an explicit new IoAdapter(app), naming every unchecked gateway once', async () => {
    const { app, warnings } = await start(appModule(ChatGateway, EventsGateway), platform, (nest) => new IoAdapter(nest));
    try {
      const lines = warnings.filter((warning) => UNCHECKED.test(warning));
      expect(lines).toEqual([expect.stringContaining('ChatGateway, EventsGateway are served by')]);
    } finally {
      await app.close();
    }
  });

  it('warns for WsAdapter (no gateway policy applies), while the upgrade gate refuses an evil origin by the module defaults', async () => {
    const { app, url, warnings } = await start(appModule(EventsGateway), platform, (nest) => new WsAdapter(nest));
    try {
      expect(warnings.filter((warning) => UNCHECKED.test(warning))).toHaveLength(1);
      expect((await connectWs(`${url.replace('http', 'ws')}/events`, EVIL)).connected).toBe(false);
      const trusted = await connectWs(`${url.replace('http', 'ws')}/events`, 'https://app.example.com');
      expect(trusted.connected).toBe(true);
      if (trusted.connected) trusted.socket.close();
    } finally {
      await app.close();
    }
  });

  it('stays quiet with CorsIoAdapter, and the evil origin is refused', async () => {
    const { app, url, warnings } = await start(appModule(ChatGateway), platform, (nest) => new CorsIoAdapter(nest));
    try {
      expect(warnings.filter((warning) => UNCHECKED.test(warning))).toEqual([]);
      expect((await connectIo(url, '/chat', EVIL, 'websocket')).connected).toBe(false);
    } finally {
      await app.close();
    }
  });

  it('stays quiet for a gateway whose allowRequest checks handshakes itself, and for an app without gateways', async () => {
    for (const module of [appModule(OwnCheckGateway), appModule()]) {
      const { app, warnings } = await start(module, platform);
      try {
        expect(warnings.filter((warning) => UNCHECKED.test(warning))).toEqual([]);
      } finally {
        await app.close();
      }
    }
  });
});
