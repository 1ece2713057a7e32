/**
 * Issue 26, "Decisions and `debug` can name the wrong route": a policy shared by several
 * declarations (one named policy, `false`, one options object) is named, in decisions, `debug`
 * lines and the policy map, by the declaration each route or gateway has, never by the first one.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Controller, Get, Module, type INestApplication, type Type } from '@nestjs/common';
import { WebSocketGateway } from '@nestjs/websockets';
import request from 'supertest';
import { CorsModule, CorsPolicy, CorsPolicyMap, type CorsDecision, type CorsPolicyOptions } from '../lib/index.js';
import { CorsIoAdapter } from '../lib/websockets/socket-io.js';
import { createPlatformFactoryApp, describeOnPlatforms } from './support/apps.js';
import { RecordingLogger } from './support/recording-logger.js';
import { connectIo } from './support/socket-clients.js';

const PARTNER = 'https://partner.example.com';
const EVIL = 'https://evil.example';
/** Trusted by one gateway only: socket.io's server-wide check lets it through, each namespace's own policy decides. */
const OTHER = 'https://other.example.com';
/** One options object, written on several classes and handlers (a shared constant, as apps do). */
const SHARED_OPTIONS: CorsPolicyOptions = { origin: [PARTNER] };

function controller(path: string, name: string, argument: Parameters<typeof CorsPolicy>[0]): Type {
  @Controller(path)
  class Routes {
    @Get() read() {
      return name;
    }
  }
  Object.defineProperty(Routes, 'name', { value: name });
  CorsPolicy(argument)(Routes);
  return Routes;
}

/** Two handlers of one controller, each with the same options object. */
@Controller('handlers')
class HandlersController {
  @Get('first') @CorsPolicy(SHARED_OPTIONS) first() {
    return 'first';
  }
  @Get('second') @CorsPolicy(SHARED_OPTIONS) second() {
    return 'second';
  }
}

function gateway(namespace: string, name: string, argument: Parameters<typeof CorsPolicy>[0]): Type {
  @WebSocketGateway({ namespace })
  class Gateway {}
  Object.defineProperty(Gateway, 'name', { value: name });
  CorsPolicy(argument)(Gateway);
  return Gateway;
}

const CONTROLLERS = [
  controller('named-a', 'NamedAController', 'partners'),
  controller('named-b', 'NamedBController', 'partners'),
  controller('object-a', 'ObjectAController', SHARED_OPTIONS),
  controller('object-b', 'ObjectBController', SHARED_OPTIONS),
  controller('off-a', 'OffAController', false),
  controller('off-b', 'OffBController', false),
  HandlersController,
];
const GATEWAYS = [
  gateway('/named-a', 'NamedAGateway', 'partners'),
  gateway('/named-b', 'NamedBGateway', 'partners'),
  gateway('/object-a', 'ObjectAGateway', SHARED_OPTIONS),
  gateway('/object-b', 'ObjectBGateway', SHARED_OPTIONS),
  gateway('/off-a', 'OffAGateway', false),
  gateway('/off-b', 'OffBGateway', false),
  gateway('/other', 'OtherGateway', { origin: [OTHER] }),
];

describeOnPlatforms('the declaration a shared policy is named by', () => {
  const decisions: CorsDecision[] = [];
  const logger = new RecordingLogger();
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    @Module({
      imports: [
        CorsModule.forRoot({
          origin: [PARTNER],
          policies: { partners: { origin: [PARTNER] } },
          debug: true,
          onDecision: (decision) => void decisions.push(decision),
        }),
      ],
      controllers: CONTROLLERS,
      providers: GATEWAYS,
    })
    class NamesModule {}
    app = await createPlatformFactoryApp(NamesModule, { logger });
    app.useWebSocketAdapter(new CorsIoAdapter(app));
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(() => app.close());

  /** The decision and the `debug` line of one refused request. */
  async function refusedOnHttp(path: string): Promise<{ decision: CorsDecision | undefined; explained: string | undefined }> {
    decisions.length = 0;
    logger.warnings.length = 0;
    await request(app.getHttpServer()).get(path).set('Origin', EVIL).expect(200);
    return { decision: decisions[0], explained: logger.warnings.find((line) => line.startsWith('Refused ')) };
  }

  it.each([
    ['/named-a', '@CorsPolicy on NamedAController'],
    ['/named-b', '@CorsPolicy on NamedBController'],
    ['/object-a', '@CorsPolicy on ObjectAController'],
    ['/object-b', '@CorsPolicy on ObjectBController'],
    ['/handlers/first', '@CorsPolicy on HandlersController.first'],
    ['/handlers/second', '@CorsPolicy on HandlersController.second'],
  ])('HTTP: a refusal on %s is decided and explained as %s', async (path, declaredAt) => {
    const { decision, explained } = await refusedOnHttp(path);
    expect(decision).toEqual(expect.objectContaining({ allowed: false, path, policy: declaredAt }));
    expect(explained).toContain(`Policy: ${declaredAt}.`);
  });

  it('HTTP: the policy map names where each route switched CORS off', () => {
    const disabledBy = (handler: string) =>
      app
        .get(CorsPolicyMap)
        .list()
        .find((entry) => entry.handler === handler)?.disabledBy;
    expect(disabledBy('OffAController.read')).toBe('@CorsPolicy on OffAController');
    expect(disabledBy('OffBController.read')).toBe('@CorsPolicy on OffBController');
  });

  it.each([
    ['/named-a', '@CorsPolicy on NamedAGateway'],
    ['/named-b', '@CorsPolicy on NamedBGateway'],
    ['/object-a', '@CorsPolicy on ObjectAGateway'],
    ['/object-b', '@CorsPolicy on ObjectBGateway'],
  ])('gateways: a refused handshake on %s is decided and explained as %s', async (namespace, declaredAt) => {
    decisions.length = 0;
    logger.warnings.length = 0;
    const connection = await connectIo(url, namespace, OTHER, 'websocket');
    expect(connection.connected).toBe(false);
    expect(decisions).toEqual([expect.objectContaining({ allowed: false, policy: declaredAt })]);
    expect(logger.warnings.filter((line) => line.includes('Refused WebSocket handshake'))).toEqual([
      expect.stringContaining(`Policy: ${declaredAt}.`),
    ]);
  });

  it.each([
    ['/off-a', '@CorsPolicy on OffAGateway'],
    ['/off-b', '@CorsPolicy on OffBGateway'],
  ])('gateways: a handshake refused on %s (CORS off) is explained as off at %s', async (namespace, declaredAt) => {
    logger.warnings.length = 0;
    expect((await connectIo(url, namespace, OTHER, 'websocket')).connected).toBe(false);
    expect(logger.warnings.filter((line) => line.includes('Refused WebSocket handshake'))).toEqual([
      expect.stringContaining(`CORS is off for this gateway (${declaredAt})`),
    ]);
  });
});
