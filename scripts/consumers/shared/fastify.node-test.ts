// Fastify consumers under node:test: a NestFactory.create app on a FastifyAdapter, listening on
// 127.0.0.1 (port 0), called with Node's global fetch. The shared cases (cases.ts) run on it,
// then the Fastify ones (fastify.app.ts). `./entry.js` is the consumer's own file: it says which
// file of the package its module system loaded.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CorsConfigurationError, CorsOriginCache } from 'nestjs-cors-policy';
import { assertCorsAllowed, assertCorsRefused, createCorsBrowser } from 'nestjs-cors-policy/testing';
import { DbOrigins } from './app.module.js';
import { cases, expectedResolverCalls, mismatches } from './cases.js';
import { expectedEntry, loadedEntry } from './entry.js';
import { ALLOWED, REFUSED, SECOND_LAYER_MESSAGE, fastifyCases, send, startFastify, startupError } from './fastify.app.js';

/** Checks the error a second CORS layer must stop the app with. */
function assertSecondLayerError(error: unknown): void {
  assert.ok(error instanceof CorsConfigurationError, `expected CorsConfigurationError, got ${String(error)}`);
  for (const part of SECOND_LAYER_MESSAGE)
    assert.ok(error.message.includes(part), `message lacks ${JSON.stringify(part)}:\n${error.message}`);
  assert.ok(error.message.includes('option "app.enableCors()": adds a second CORS layer'), error.message);
  assert.deepEqual(
    error.problems.map((p) => p.option),
    ['app.enableCors()'],
  );
}

describe('nestjs-cors-policy from the packed tarball on Fastify', () => {
  let app: NestFastifyApplication;
  let base: string;

  before(async () => {
    ({ app, base } = await startFastify());
  });
  after(async () => {
    await app?.close();
  });

  it(`loads the package's ${expectedEntry} entry`, () => {
    assert.ok(loadedEntry.endsWith(expectedEntry), `loaded ${loadedEntry}`);
  });

  it('runs on Fastify, without @nestjs/platform-express installed', async () => {
    assert.equal(app.getHttpAdapter().getType(), 'fastify');
    const express = '@nestjs/platform-express';
    await assert.rejects(import(express), { code: 'ERR_MODULE_NOT_FOUND' });
  });

  for (const c of cases) {
    it(`shared: ${c.name}`, async () => {
      const r = await send(base, c);
      assert.deepEqual(mismatches(c, r.status, r.header), []);
    });
  }

  it('asked the resolver instance from the container, once per origin', () => {
    assert.deepEqual(app.get(DbOrigins).asked, expectedResolverCalls);
  });

  it('CorsOriginCache is injectable and invalidation makes the resolver be asked again', async () => {
    app.get(CorsOriginCache).invalidate('https://db.example.com');
    const r = await send(base, {
      name: '',
      method: 'GET',
      path: '/partners',
      headers: { origin: 'https://db.example.com' },
      status: 200,
      expect: {},
    });
    assert.equal(r.header('access-control-allow-origin'), 'https://db.example.com');
    assert.deepEqual(app.get(DbOrigins).asked, [...expectedResolverCalls, 'https://db.example.com']);
  });

  for (const c of fastifyCases) {
    it(c.name, async () => {
      const r = await send(base, c);
      assert.deepEqual(mismatches(c, r.status, r.header), []);
    });
  }

  it('nestjs-cors-policy/testing judges calls to the Fastify app as a browser would', async () => {
    const patch = await createCorsBrowser(app, { origin: ALLOWED }).fetch('/orders/42', { method: 'PATCH', credentials: 'include' });
    assertCorsAllowed(patch);
    assert.equal(patch.preflight?.status, 204);
    assertCorsAllowed(await createCorsBrowser(app, { origin: REFUSED }).fetch('/catalogue'));
    assertCorsRefused(await createCorsBrowser(app, { origin: REFUSED }).fetch('/orders'));
    assertCorsRefused(await createCorsBrowser(app, { origin: ALLOWED }).fetch('/account/hook'));
  });

  it('app.enableCors() next to the module stops the app with CorsConfigurationError and the fix', async () => {
    assertSecondLayerError(await startupError(startFastify((other) => other.enableCors(), { logger: false })));
  });

  it('NestFactory.create(..., { cors: true }) next to the module stops the app too', async () => {
    assertSecondLayerError(await startupError(startFastify(undefined, { cors: true, logger: false })));
  });
});
