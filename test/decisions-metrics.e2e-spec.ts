/** The README's recipe (section "Decisions"): refusals counted with prom-client by route and reason, never by origin. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import request from 'supertest';
import { CorsModule, type CorsDecision } from '../lib/index.js';
import { createTestingApp, PLATFORMS } from './support/apps.js';

// --- the recipe, as in the README ---
const registry = new Registry();
const corsRefusals = new Counter({
  name: 'cors_refusals_total',
  help: 'CORS requests refused, by route and reason',
  labelNames: ['route', 'reason', 'preflight'] as const,
  registers: [registry],
});

function countRefusal(decision: CorsDecision): void {
  if (decision.allowed) return;
  // Never the origin as a label: anyone can send a new one on every request.
  corsRefusals.inc({ route: decision.route ?? 'unrouted', reason: decision.reason ?? 'unknown', preflight: String(decision.preflight) });
}
// --- end of the recipe ---

@Controller('orders')
class OrdersController {
  @Get() list() {
    return [];
  }
}

@Module({
  imports: [CorsModule.forRoot({ origin: ['https://app.example.com'], methods: ['GET'], onDecision: countRefusal })],
  controllers: [OrdersController],
})
class MetricsModule {}

describe.each(PLATFORMS)('counting refusals with prom-client (%s)', (platform) => {
  let app: INestApplication;
  beforeAll(async () => {
    registry.resetMetrics();
    app = await createTestingApp(MetricsModule, undefined, platform);
  });
  afterAll(() => app.close());

  it('counts by route and reason, with no origin in the metrics', async () => {
    const server = app.getHttpServer() as Parameters<typeof request>[0];
    for (let i = 0; i < 3; i++) await request(server).get('/orders').set('Origin', `https://attacker-${i}.example.net`);
    await request(server).get('/orders').set('Origin', 'https://app.example.com'); // allowed: not counted
    await request(server).options('/orders').set({ Origin: 'https://app.example.com', 'Access-Control-Request-Method': 'DELETE' });
    await request(server).get('/nowhere').set('Origin', 'https://attacker-0.example.net');

    const text = await registry.metrics();
    expect(text).toContain('cors_refusals_total{route="OrdersController.list",reason="origin not trusted",preflight="false"} 3');
    expect(text).toContain('cors_refusals_total{route="unrouted",reason="method not allowed",preflight="true"} 1');
    expect(text).toContain('cors_refusals_total{route="unrouted",reason="origin not trusted",preflight="false"} 1');
    expect(text).not.toMatch(/example\.(net|com)/);
  });
});
