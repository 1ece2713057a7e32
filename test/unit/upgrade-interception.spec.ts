import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { interceptUpgrades, refuseUpgrade } from '../../lib/upgrades/upgrade-interception.js';

/** A server stand-in: Node's HTTP server reaches every `upgrade` listener through `emit`. */
function serverWithLog(): { server: EventEmitter; heard: string[] } {
  const server = new EventEmitter();
  const heard: string[] = [];
  server.on('upgrade', () => heard.push('before'));
  return { server, heard };
}

describe('interceptUpgrades', () => {
  it('judges an upgrade before every listener, those added before, after, and prepended after', () => {
    const { server, heard } = serverWithLog();
    const judged: string[] = [];
    interceptUpgrades(server, (request, _socket, pass) => {
      judged.push(String((request as { url?: string }).url));
      heard.push('judge');
      if ((request as { url?: string }).url === '/open') pass();
    });
    server.on('upgrade', () => heard.push('after'));
    server.prependListener('upgrade', () => heard.push('prepended'));
    server.emit('upgrade', { url: '/closed' }, new PassThrough(), Buffer.alloc(0));
    expect(heard).toEqual(['judge']);
    server.emit('upgrade', { url: '/open' }, new PassThrough(), Buffer.alloc(0));
    expect(heard).toEqual(['judge', 'judge', 'prepended', 'before', 'after']);
    expect(judged).toEqual(['/closed', '/open']);
  });

  it("keeps Node's own emit until the first upgrade listener comes, which is then behind the gate", () => {
    const server = new EventEmitter();
    const heard: string[] = [];
    interceptUpgrades(server, (_request, _socket, pass) => {
      heard.push('judge');
      pass();
    });
    expect(server.emit).toBe(EventEmitter.prototype.emit);
    server.prependListener('upgrade', () => heard.push('listener'));
    expect(server.emit).not.toBe(EventEmitter.prototype.emit);
    server.emit('upgrade', { url: '/' }, new PassThrough(), Buffer.alloc(0));
    expect(heard).toEqual(['judge', 'listener']);
    expect(server.listenerCount('newListener')).toBe(0);
  });

  it('passes every other event on unchanged, with all its arguments', () => {
    const { server } = serverWithLog();
    const received: unknown[][] = [];
    server.on('request', (...args: unknown[]) => received.push(args));
    interceptUpgrades(server, () => {
      throw new Error('never asked');
    });
    expect(server.emit('request', 'req', 'res')).toBe(true);
    expect(server.emit('nobody listens')).toBe(false);
    expect(received).toEqual([['req', 'res']]);
  });

  it('wraps a server once, and leaves what is not an emitter alone', () => {
    const { server } = serverWithLog();
    expect(interceptUpgrades(server, () => undefined)).toBe(true);
    expect(interceptUpgrades(server, () => undefined)).toBe(false);
    expect(interceptUpgrades(undefined, () => undefined)).toBe(false);
  });

  it('refuseUpgrade writes a 403 and closes the socket', async () => {
    const socket = new PassThrough();
    const written: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => written.push(chunk));
    refuseUpgrade(socket);
    await new Promise((resolve) => socket.once('close', resolve));
    expect(Buffer.concat(written).toString()).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
    expect(socket.destroyed).toBe(true);
  });
});
