import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  Headers,
  Injectable,
  Module,
  Param,
  Patch,
  Post,
  Put,
  Req,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import { CorsModule, CorsPolicy } from '../../lib/index.js';
import { createPlatformFactoryApp, type Platform } from '../support/apps.js';
import { RequestLog } from './request-log.js';

/** The origins the fixture app trusts; the page origins are only known once their servers listen. */
export interface FixtureOrigins {
  /** Trusted by the module defaults and the only origin of the cookie routes (same site as the API). */
  readonly primary: string;
  /** Also trusted by the module defaults. */
  readonly secondary: string;
}

export interface FixtureApp {
  readonly app: INestApplication;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly log: RequestLog;
  close(): Promise<void>;
}

/** The session cookie `GET /session/login` sets on the API's host. */
export const SESSION_COOKIE = 'sid=browser-suite-session';
/** The bearer token `GuardedController` accepts. */
export const GOOD_TOKEN = 'Bearer good-token';

/**
 * A Nest app that uses the library the way the brief's user does: module defaults with a list
 * of trusted origins and credentials, and per-controller and per-handler `@CorsPolicy`.
 * Listens on 127.0.0.1 at a free port, created with `NestFactory.create` on the given platform
 * (the middleware runs ahead of the body parser there). The controllers use only what both
 * platforms share (the request's `headers`, `@Header`, `@Body`), so the same module serves both.
 */
export async function startFixtureApp(origins: FixtureOrigins, platform: Platform): Promise<FixtureApp> {
  const module = buildFixtureModule(origins);
  const app = await createPlatformFactoryApp(module, { logger: false }, platform);
  const log = new RequestLog(app.getHttpServer() as Server);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  return {
    app,
    url,
    log,
    close: async () => {
      log.detach();
      await app.close();
    },
  };
}

/** What the handlers read of a request: Express's `Request` and Fastify's `FastifyRequest` both have it. */
interface WithHeaders {
  readonly headers: IncomingHttpHeaders;
}

/** Lets through `Authorization: Bearer good-token`, answers 401 otherwise (preflights carry no token). */
@Injectable()
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const authorization = context.switchToHttp().getRequest<WithHeaders>().headers.authorization;
    if (authorization !== GOOD_TOKEN) throw new UnauthorizedException('a valid bearer token is required');
    return true;
  }
}

function buildFixtureModule(origins: FixtureOrigins) {
  /**
   * Any origin, no credentials: `Access-Control-Allow-Origin: *`. Echoes the `Origin` it got.
   * `credentials: false` is required: the module defaults turn credentials on, and `'*'` with
   * credentials is refused at startup.
   */
  @Controller('public')
  @CorsPolicy({ origin: '*', credentials: false })
  class PublicController {
    @Get()
    get(@Req() req: WithHeaders) {
      return { origin: req.headers.origin ?? null, cookie: req.headers.cookie ?? null };
    }
  }

  /** Module defaults: the two trusted origins, with credentials. */
  @Controller('partners')
  class PartnersController {
    @Get()
    get(@Req() req: WithHeaders) {
      return { origin: req.headers.origin ?? null };
    }
  }

  /** Credentialed routes for the primary origin only. */
  @Controller('session')
  @CorsPolicy({ origin: [origins.primary], credentials: true })
  class SessionController {
    /** Sets the session cookie on the API's host (127.0.0.1), SameSite=Lax: sent to same-site callers. */
    @Get('login')
    @Header('Set-Cookie', `${SESSION_COOKIE}; Path=/; HttpOnly; SameSite=Lax`)
    login() {
      return { loggedIn: true };
    }

    /** Echoes the cookies the request carried. */
    @Get('me')
    me(@Req() req: WithHeaders) {
      return { cookie: req.headers.cookie ?? null };
    }
  }

  /** Controller-level methods and headers; DELETE is served but not in `methods`. */
  @Controller('items')
  @CorsPolicy({ methods: ['GET', 'PATCH'], allowedHeaders: ['Content-Type', 'X-Request-Id'] })
  class ItemsController {
    @Patch(':id')
    update(@Param('id') id: string, @Body() body: unknown, @Headers('x-request-id') requestId: string | undefined) {
      return { id, body, requestId: requestId ?? null };
    }

    @Delete(':id')
    remove(@Param('id') id: string) {
      return { deleted: id };
    }
  }

  /** Response headers: one route exposes X-Thing, the other sends it without exposing it. */
  @Controller('headers')
  class HeadersController {
    @Get('exposed')
    @CorsPolicy({ exposedHeaders: ['X-Thing'] })
    @Header('X-Thing', 'exposed-42')
    exposed() {
      return { route: 'exposed' };
    }

    @Get('hidden')
    @Header('X-Thing', 'hidden-42')
    hidden() {
      return { route: 'hidden' };
    }
  }

  /** PUT always needs a preflight; one route lets browsers cache it for 10 minutes, one not at all. */
  @Controller('cached')
  class CachedController {
    @Put('long/:n')
    @CorsPolicy({ maxAge: 600 })
    long(@Param('n') n: string) {
      return { cached: 'long', n };
    }

    @Put('none/:n')
    @CorsPolicy({ maxAge: 0 })
    none(@Param('n') n: string) {
      return { cached: 'none', n };
    }
  }

  /** POST bodies echoed back, with the content type they arrived with. */
  @Controller('echo')
  class EchoController {
    @Post('json')
    json(@Body() body: unknown, @Headers('content-type') contentType: string | undefined) {
      return { contentType: contentType ?? null, body };
    }

    /**
     * Fastify parses text/plain into a string; Nest's Express body parsers leave it unread
     * (`@Body()` is `{}`), so there the raw stream is read.
     */
    @Post('text')
    async text(@Body() body: unknown, @Req() req: WithHeaders, @Headers('content-type') contentType: string | undefined) {
      if (typeof body === 'string') return { contentType: contentType ?? null, text: body };
      let text = '';
      for await (const chunk of req as IncomingMessage) text += String(chunk);
      return { contentType: contentType ?? null, text };
    }
  }

  /** Behind a guard that answers 401 without the token; Authorization is an allowed request header. */
  @Controller('guarded')
  @UseGuards(TokenGuard)
  @CorsPolicy({ allowedHeaders: ['Authorization'] })
  class GuardedController {
    @Get()
    get() {
      return { secret: 'for token holders' };
    }
  }

  /** CORS off: no CORS header at all, although the module defaults trust the page's origin. */
  @Controller('webhook')
  @CorsPolicy(false)
  class WebhookController {
    @Get()
    get() {
      return { received: true };
    }
  }

  @Module({
    imports: [CorsModule.forRoot({ origin: [origins.primary, origins.secondary], credentials: true })],
    controllers: [
      PublicController,
      PartnersController,
      SessionController,
      ItemsController,
      HeadersController,
      CachedController,
      EchoController,
      GuardedController,
      WebhookController,
    ],
    providers: [TokenGuard],
  })
  class BrowserFixtureModule {}

  return BrowserFixtureModule;
}
