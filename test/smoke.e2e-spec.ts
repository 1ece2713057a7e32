import { Controller, Get, Header, Module, Patch, Post, UseGuards, type CanActivate } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { CorsModule, CorsPolicy } from '../lib/index.js';

class DenyGuard implements CanActivate { canActivate() { return false; } }

@Controller('orders')
@CorsPolicy({ origin: ['https://partner.example.com'], credentials: true })
class OrdersController {
  @Get() list() { return []; }
  @Patch(':id') @CorsPolicy({ methods: ['PATCH'], allowedHeaders: ['Content-Type', 'X-Request-Id'], maxAge: 20 }) update() { return {}; }
  @Get('catalogue') @CorsPolicy({ origin: '*', credentials: false }) catalogue() { return []; }
  @Post('webhook') @CorsPolicy(false) webhook() { return {}; }
  @Get('vary') @Header('Vary', 'Accept') vary() { return {}; }
  @Get('guarded') @UseGuards(DenyGuard) guarded() { return {}; }
}
@Module({ imports: [CorsModule.forRoot({ origin: 'https://app.example.com' })], controllers: [OrdersController] })
class AppModule {}

it('works', async () => {
  const mod = await Test.createTestingModule({ imports: [AppModule] }).compile();
  const app = mod.createNestApplication({ logger: false });
  await app.init();
  const s = app.getHttpServer();
  for (const [m, p, h] of [
    ['get', '/orders', { Origin: 'https://partner.example.com' }],
    ['get', '/orders', { Origin: 'https://evil.com' }],
    ['get', '/orders', {}],
    ['options', '/orders/12', { Origin: 'https://partner.example.com', 'Access-Control-Request-Method': 'PATCH' }],
    ['get', '/orders/catalogue', { Origin: 'https://x.com' }],
    ['post', '/orders/webhook', { Origin: 'https://partner.example.com' }],
    ['get', '/orders/vary', { Origin: 'https://partner.example.com' }],
    ['get', '/orders/guarded', { Origin: 'https://partner.example.com' }],
    ['get', '/nope', { Origin: 'https://app.example.com' }],
  ] as const) {
    const r = await (request(s) as any)[m](p).set(h);
    console.log(m, p, r.status, Object.fromEntries(Object.entries(r.headers).filter(([k]) => k.startsWith('access') || k === 'vary')));
  }
  await app.close();
});
