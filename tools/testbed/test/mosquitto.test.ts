import { readFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { childProcesses, startMosquitto } from '../src/index.ts';

/** An MQTT 3.1.1 CONNECT packet (clean session, 60 s keepalive), written out byte by byte. */
function connectPacket(clientId: string, credentials?: { user: string; password: string }): Uint8Array {
  const text = (s: string) => {
    const bytes = new TextEncoder().encode(s);
    return [bytes.length >> 8, bytes.length & 0xff, ...bytes];
  };
  const flags = 0x02 | (credentials ? 0xc0 : 0);
  const body = [...text('MQTT'), 4, flags, 0, 60, ...text(clientId), ...(credentials ? [...text(credentials.user), ...text(credentials.password)] : [])];
  return new Uint8Array([0x10, body.length, ...body]);
}

/** Connects, sends CONNECT and returns the CONNACK's return code (0 accepted, 5 not authorized). */
function connack(port: number, packet: Uint8Array, tls?: { ca?: string; servername: string }): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = tls ? connectTls({ host: '127.0.0.1', port, ...tls }) : connectTcp({ host: '127.0.0.1', port });
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write(packet));
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // CONNACK: 0x20, remaining length 2, session-present flags, return code.
      if (received.length >= 4) {
        resolve(received[0] === 0x20 ? received[3]! : -1);
        socket.end();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`closed after ${received.length} bytes`)));
  });
}

describe('startMosquitto', () => {
  it('is a broker that answers CONNECT, and comes back on the same port after a restart', async () => {
    const broker = await startMosquitto();
    try {
      expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
      expect(await connack(broker.port, connectPacket('probe-1'))).toBe(0);
      await broker.restart();
      expect(await connack(broker.port, connectPacket('probe-2'))).toBe(0);
      // The broker logs the connection once CONNACK is on its way: wait for the line.
      for (let tries = 0; tries < 100 && !broker.log().includes('as probe-2'); tries++) await Bun.sleep(20);
      expect(broker.log()).toMatch(/New client connected from 127\.0\.0\.1:\d+ as probe-2/);
    } finally {
      await broker.stop();
    }
    expect((await childProcesses()).filter((p) => p.command.includes('mosquitto'))).toEqual([]);
  });

  it('lets only its users in when given some', async () => {
    const broker = await startMosquitto({ users: { camera: 'right-password' } });
    try {
      expect(await connack(broker.port, connectPacket('a', { user: 'camera', password: 'right-password' }))).toBe(0);
      expect(await connack(broker.port, connectPacket('b', { user: 'camera', password: 'wrong-password' }))).toBe(5);
      expect(await connack(broker.port, connectPacket('c'))).toBe(5);
    } finally {
      await broker.stop();
    }
  });

  it('serves TLS with a certificate for localhost that its own CA vouches for', async () => {
    const broker = await startMosquitto({ tls: true });
    try {
      expect(broker.tlsUrl).toBe(`mqtts://localhost:${broker.tlsPort}`);
      const ca = readFileSync(broker.caFile!, 'utf8');
      expect(await connack(broker.tlsPort!, connectPacket('tls'), { ca, servername: 'localhost' })).toBe(0);
      await expect(connack(broker.tlsPort!, connectPacket('no-ca'), { servername: 'localhost' })).rejects.toThrow(/certificate|verify/i);
    } finally {
      await broker.stop();
    }
  });
});
