// NestJS 12 consumers (ESM and CommonJS): a real HTTP server on 127.0.0.1, port 0, called with
// Node's global fetch, under Node's own test runner. `./entry.js` is the consumer's own file:
// it says which file of the package its module system loaded.
import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CorsOriginCache } from 'nestjs-cors-policy';
import { assertCorsAllowed, assertCorsRefused, createCorsBrowser } from 'nestjs-cors-policy/testing';
import { AppModule, DbOrigins } from './app.module.js';
import { cases, expectedResolverCalls, mismatches } from './cases.js';
import { expectedEntry, loadedEntry } from './entry.js';

describe('nestjs-cors-policy from the packed tarball', () => {
  let app: INestApplication;
  let base: string;

  before(async () => {
    app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  after(async () => {
    await app?.close();
  });

  it(`loads the package's ${expectedEntry} entry`, () => {
    assert.ok(loadedEntry.endsWith(expectedEntry), `loaded ${loadedEntry}`);
  });

  for (const c of cases) {
    it(c.name, async () => {
      const response = await fetch(base + c.path, { method: c.method, headers: c.headers, redirect: 'manual' });
      await response.arrayBuffer();
      assert.deepEqual(
        mismatches(c, response.status, (name) => response.headers.get(name)),
        [],
      );
    });
  }

  it('asked the resolver instance from the container, once per origin', () => {
    assert.deepEqual(app.get(DbOrigins).asked, expectedResolverCalls);
  });

  it('CorsOriginCache is injectable and invalidation makes the resolver be asked again', async () => {
    app.get(CorsOriginCache).invalidate('https://db.example.com');
    const response = await fetch(base + '/partners', { headers: { origin: 'https://db.example.com' } });
    await response.arrayBuffer();
    assert.equal(response.headers.get('access-control-allow-origin'), 'https://db.example.com');
    assert.deepEqual(app.get(DbOrigins).asked, [...expectedResolverCalls, 'https://db.example.com']);
  });

  it('nestjs-cors-policy/testing judges calls as a browser would', async () => {
    const outcome = await createCorsBrowser(app, { origin: 'https://a.example.com' }).fetch('/orders/42', {
      method: 'PATCH',
      credentials: 'include',
    });
    assertCorsAllowed(outcome);
    assert.equal(outcome.preflight?.status, 204);
    assertCorsRefused(await createCorsBrowser(app, { origin: 'https://evil.example.net' }).fetch('/orders'));
  });
});
