// `podsmith port-forward`: listen on the host (127.0.0.1 by default) and carry each accepted TCP connection
// to a port on the pod's own loopback, as `kubectl port-forward` does. The pod side goes through one
// netns-dialer helper per session (see netns-dialer.ts for why and how).
import { connect, createServer, type Server, type Socket } from 'node:net';
import { describeNetns, netnsInode, type NetnsRef } from './netns';
import { startNetnsDialer, type NetnsDialer } from './netns-dialer';
import type { PortPair } from './port-spec';
import { privilegedPortProblem } from '../rootless/ports';

export interface ForwardedPort {
  address: string;
  local: number;
  remote: number;
}

export interface PortForwardOptions {
  /** Host addresses to listen on (default 127.0.0.1). */
  addresses?: string[];
  /** Called when a connection arrives ("Handling connection for 8080"). */
  onConnection?(port: ForwardedPort): void;
  /** Called when the pod side of one connection cannot be opened (e.g. nothing listens on the pod port). */
  onConnectionError?(port: ForwardedPort, message: string): void;
  /** How often to check that the pod's namespace still exists (default 1000 ms; 0 = never). */
  watchIntervalMs?: number;
  /** The Node binary for the helper in the pod's namespace (default this process's: from an editor's
   * extension host that may be Electron, so the editor passes a real Node). */
  nodePath?: string;
}

export interface PortForwardSession {
  ports: ForwardedPort[];
  /** Time to start the helper in the pod's namespace. */
  setupMs: number;
  /** Resolves when the session has ended: close() was called, the pod went away or the helper died. */
  done: Promise<{ reason: string }>;
  close(): Promise<void>;
}

/** Reads the dialer's status byte; on failure, the error text that follows it. */
function readStatus(up: Socket): Promise<{ ok: true } | { ok: false; message: string }> {
  return new Promise((resolve) => {
    const onReadable = () => {
      const b = up.read(1) as Buffer | null;
      if (b === null) return; // not here yet
      up.removeListener('readable', onReadable);
      up.removeListener('end', onEnd);
      up.removeListener('error', onError);
      if (b[0] === 0) return resolve({ ok: true });
      const parts: Buffer[] = [];
      up.on('data', (c: Buffer) => parts.push(c));
      up.resume();
      up.once('end', () => resolve({ ok: false, message: Buffer.concat(parts).toString('utf8') || 'connection failed' }));
      up.once('error', (e) => resolve({ ok: false, message: e.message }));
    };
    const onEnd = () => resolve({ ok: false, message: 'the helper in the pod closed the connection' });
    const onError = (e: Error) => resolve({ ok: false, message: `helper unreachable: ${e.message}` });
    up.on('readable', onReadable);
    up.once('end', onEnd);
    up.once('error', onError);
  });
}

function listen(server: Server, address: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen({ host: address, port, exclusive: true }, () => {
      server.removeListener('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

/** host:port, with brackets around an IPv6 host. */
export function formatAddress(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export async function startPortForward(netns: NetnsRef, pairs: PortPair[], opts: PortForwardOptions = {}): Promise<PortForwardSession> {
  if (!pairs.length) throw new Error('no ports to forward');
  const inode = netnsInode(netns); // fails early, with a clear message, when the pod is already gone
  const dialer: NetnsDialer = await startNetnsDialer(netns, opts.nodePath);
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const ports: ForwardedPort[] = [];
  let finish!: (r: { reason: string }) => void;
  const done = new Promise<{ reason: string }>((r) => (finish = r));
  let closed = false;
  let watch: NodeJS.Timeout | undefined;

  const shutdown = async (reason: string) => {
    if (closed) return;
    closed = true;
    if (watch) clearInterval(watch);
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    await dialer.close();
    finish({ reason });
  };

  const handle = (client: Socket, port: ForwardedPort) => {
    opts.onConnection?.(port);
    client.setNoDelay(true);
    const up = connect({ path: dialer.socketPath, allowHalfOpen: true });
    sockets.add(client).add(up);
    client.on('close', () => sockets.delete(client));
    up.on('close', () => sockets.delete(up));
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
    const head = Buffer.alloc(2);
    head.writeUInt16BE(port.remote);
    up.write(head);
    client.pipe(up); // bytes sent before the pod side answers wait in the helper
    readStatus(up).then((status) => {
      if (status.ok) {
        up.pipe(client);
        client.on('close', (hadError) => {
          if (hadError) up.destroy();
        });
        up.on('close', (hadError) => {
          if (hadError) client.destroy();
        });
        return;
      }
      const why = status.message.startsWith('ECONNREFUSED')
        ? `connection refused: nothing listens on port ${port.remote} at the pod's 127.0.0.1 or ::1`
        : status.message;
      opts.onConnectionError?.(port, `pod port ${port.remote}: ${why}`);
      client.destroy();
      up.destroy();
    });
  };

  try {
    for (const pair of pairs) {
      let local = pair.local;
      for (const address of pair.address ? [pair.address] : (opts.addresses ?? ['127.0.0.1'])) {
        const server = createServer({ allowHalfOpen: true, pauseOnConnect: false });
        const port: ForwardedPort = { address, local, remote: pair.remote };
        server.on('connection', (c) => handle(c, port));
        try {
          port.local = local = await listen(server, address, local);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          // "localhost" on a host without IPv6 loopback: the IPv4 listener is enough, as in kubectl.
          if (address === '::1' && (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT') && ports.length) continue;
          const privileged = code === 'EACCES' ? privilegedPortProblem(local, `local port ${local}`) : undefined;
          if (privileged) throw new Error(`cannot listen on ${formatAddress(address, local)}: ${privileged}`);
          throw new Error(`cannot listen on ${formatAddress(address, local)}: ${code ?? (e as Error).message}`);
        }
        servers.push(server);
        ports.push(port);
      }
    }
  } catch (e) {
    await shutdown('setup failed');
    throw e;
  }

  dialer.exited.then(() => shutdown('the helper in the pod\'s network namespace exited'));
  const interval = opts.watchIntervalMs ?? 1000;
  if (interval > 0) {
    watch = setInterval(() => {
      let now: number | undefined;
      try {
        now = netnsInode(netns);
      } catch {
        now = undefined;
      }
      if (now !== inode) void shutdown(`the pod's network namespace ${describeNetns(netns)} is gone`);
    }, interval);
    watch.unref();
  }
  return { ports, setupMs: dialer.startMs, done, close: () => shutdown('closed') };
}

/** One port: listen on 127.0.0.1:`local` (0 = any free port) and forward to `remote` in the pod. */
export function portForward(netns: NetnsRef, local: number, remote: number, opts: PortForwardOptions = {}): Promise<PortForwardSession> {
  return startPortForward(netns, [{ local, remote }], opts);
}

