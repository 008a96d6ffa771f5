// The netns dialer's wire protocol (netns-dialer.ts) served by a pod side that dials through the daemon: the
// remote end of `port-forward --host` for a pod without a network namespace on its host (a microVM pod), so
// the client over SSH speaks to it exactly as to the netns helper. Per unix connection: the pod port (2 bytes,
// big endian) in, one status byte out (0 = connected; 1 = failed, then the error text and EOF), then the bytes
// both ways with half-closes.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { joinDialed } from './port-forward';

export interface DialServer {
  socketPath: string;
  close(): Promise<void>;
}

function serveOne(up: Socket, dial: (port: number) => Promise<Duplex>, open: Set<Duplex>): void {
  up.on('error', () => {});
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    head = Buffer.concat([head, chunk]);
    if (head.length < 2) return;
    up.pause();
    up.off('data', onData);
    const port = head.readUInt16BE(0);
    const early = head.subarray(2);
    dial(port).then(
      (conn) => {
        if (up.destroyed) return void conn.destroy();
        if (conn.destroyed) return void up.end(Buffer.concat([Buffer.from([1]), Buffer.from('the connection was reset in the pod')]));
        open.add(conn);
        conn.on('close', () => open.delete(conn));
        up.write(Buffer.from([0]));
        if (early.length) conn.write(early);
        joinDialed(up, conn);
      },
      (err: Error) => up.end(Buffer.concat([Buffer.from([1]), Buffer.from(err.message)])),
    );
  };
  up.on('data', onData);
}

export function startDialServer(dial: (port: number) => Promise<Duplex>): Promise<DialServer> {
  const dir = mkdtempSync(join(tmpdir(), 'podsmith-pf-')); // 0700: only we may connect
  const socketPath = join(dir, 'dial.sock');
  const open = new Set<Duplex>();
  const clients = new Set<Socket>();
  const server = createServer({ allowHalfOpen: true }, (up) => {
    clients.add(up);
    up.on('close', () => clients.delete(up));
    serveOne(up, dial, open);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e) => {
      rmSync(dir, { recursive: true, force: true });
      reject(e);
    });
    server.listen(socketPath, () =>
      resolve({
        socketPath,
        close: async () => {
          for (const c of [...open, ...clients]) c.destroy();
          await new Promise<void>((r) => server.close(() => r()));
          rmSync(dir, { recursive: true, force: true });
        },
      }),
    );
  });
}
