// `podsmith port-forward`: listen on the host (127.0.0.1 by default) and carry each accepted TCP connection
// to a port on the pod's own loopback, as `kubectl port-forward` does. The pod side goes through one
// netns-dialer helper per session (see netns-dialer.ts for why and how).
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
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
function readStatus(up: Duplex): Promise<{ ok: true } | { ok: false; message: string }> {
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

/**
 * The pod's end of a port-forward session: something that opens one stream per forwarded connection into the
 * pod's network namespace, speaking the netns dialer's protocol (2-byte port, then a status byte back). On
 * this machine that is a netns-dialer helper; for a remote host, a helper there reached through SSH.
 */
export interface PodSide {
  connect(): Promise<Duplex>;
  /**
   * Where the pod's runtime makes the connections itself (a microVM pod: no network namespace on the host),
   * one open connection to `port`, or a rejection saying why; used instead of connect() when present.
   */
  dial?(port: number): Promise<Duplex>;
  /** Resolves with why the pod side ended (the pod went away, the helper died, the connection was lost). */
  ended: Promise<string>;
  close(): Promise<void>;
  setupMs: number;
}

/** The pod side on this machine: a dialer helper in the namespace, and a watch that the namespace still exists. */
export async function localPodSide(netns: NetnsRef, opts: { watchIntervalMs?: number; nodePath?: string } = {}): Promise<PodSide & { socketPath: string }> {
  const inode = netnsInode(netns); // fails early, with a clear message, when the pod is already gone
  const dialer: NetnsDialer = await startNetnsDialer(netns, opts.nodePath);
  let watch: NodeJS.Timeout | undefined;
  let finish!: (reason: string) => void;
  const ended = new Promise<string>((r) => (finish = r));
  dialer.exited.then(() => finish("the helper in the pod's network namespace exited"));
  const interval = opts.watchIntervalMs ?? 1000;
  if (interval > 0) {
    watch = setInterval(() => {
      let now: number | undefined;
      try {
        now = netnsInode(netns);
      } catch {
        now = undefined;
      }
      if (now !== inode) finish(`the pod's network namespace ${describeNetns(netns)} is gone`);
    }, interval);
    watch.unref();
  }
  void ended.then(() => clearInterval(watch));
  return {
    socketPath: dialer.socketPath,
    setupMs: dialer.startMs,
    ended,
    connect: () =>
      new Promise((resolve, reject) => {
        const up = connect({ path: dialer.socketPath, allowHalfOpen: true });
        up.once('connect', () => {
          up.off('error', reject);
          resolve(up);
        });
        up.once('error', reject);
      }),
    close: async () => {
      clearInterval(watch);
      await dialer.close();
    },
  };
}

export async function startPortForward(netns: NetnsRef, pairs: PortPair[], opts: PortForwardOptions = {}): Promise<PortForwardSession> {
  if (!pairs.length) throw new Error('no ports to forward');
  return startPortForwardVia(await localPodSide(netns, opts), pairs, opts);
}

/** Listens on the local ports and carries each connection to the pod through `side` (closed with the session). */
/**
 * Joins a local connection to one the pod side opened whole (PodSide.dial) and already open: bytes both ways
 * with half-closes; an error on either side, the local side failing, or the pod's side reset or over with
 * bytes the local side never took, ends the other too.
 */
export function joinDialed(local: Socket, dialed: Duplex): void {
  local.on('error', () => dialed.destroy());
  dialed.on('error', () => local.destroy());
  local.on('close', (hadError) => {
    if (hadError) dialed.destroy();
  });
  dialed.on('close', () => {
    if (dialed.errored || !dialed.readableEnded) local.destroy();
  });
  local.pipe(dialed);
  dialed.pipe(local);
  local.resume();
}

export async function startPortForwardVia(side: PodSide, pairs: PortPair[], opts: PortForwardOptions = {}): Promise<PortForwardSession> {
  if (!pairs.length) throw new Error('no ports to forward');
  const servers: Server[] = [];
  const sockets = new Set<Duplex>();
  const ports: ForwardedPort[] = [];
  let finish!: (r: { reason: string }) => void;
  const done = new Promise<{ reason: string }>((r) => (finish = r));
  let closed = false;

  const shutdown = async (reason: string) => {
    if (closed) return;
    closed = true;
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    await side.close();
    finish({ reason });
  };

  const handle = async (client: Socket, port: ForwardedPort) => {
    opts.onConnection?.(port);
    client.setNoDelay(true);
    client.pause(); // bytes sent before the pod side is open wait here
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (side.dial) return handleDialed(client, port, side.dial.bind(side));
    let up: Duplex;
    try {
      up = await side.connect();
    } catch (err) {
      opts.onConnectionError?.(port, `pod port ${port.remote}: ${(err as Error).message}`);
      client.destroy();
      return;
    }
    if (client.destroyed || closed) {
      up.destroy();
      return;
    }
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
    const head = Buffer.alloc(2);
    head.writeUInt16BE(port.remote);
    up.write(head);
    client.pipe(up); // bytes sent before the pod side answers wait in the helper
    client.resume();
    readStatus(up).then((status) => {
      if (status.ok) {
        up.pipe(client);
        client.on('close', (hadError) => {
          if (hadError) up.destroy();
        });
        up.on('close', (hadError: boolean) => {
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

  /** A connection the pod side opened whole (PodSide.dial): joined both ways once it is open. */
  const handleDialed = async (client: Socket, port: ForwardedPort, dial: (port: number) => Promise<Duplex>) => {
    let up: Duplex;
    try {
      up = await dial(port.remote);
    } catch (err) {
      opts.onConnectionError?.(port, `pod port ${port.remote}: ${(err as Error).message}`);
      client.destroy();
      return;
    }
    // Reset in the pod meanwhile: nothing to join (its 'close' may have gone by already).
    if (client.destroyed || closed || up.destroyed) {
      up.destroy();
      client.destroy();
      return;
    }
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    joinDialed(client, up);
  };

  try {
    for (const pair of pairs) {
      let local = pair.local;
      for (const address of pair.address ? [pair.address] : (opts.addresses ?? ['127.0.0.1'])) {
        const server = createServer({ allowHalfOpen: true, pauseOnConnect: false });
        const port: ForwardedPort = { address, local, remote: pair.remote };
        server.on('connection', (c) => void handle(c, port));
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

  void side.ended.then((reason) => shutdown(reason));
  return { ports, setupMs: side.setupMs, done, close: () => shutdown('closed') };
}

/** One port: listen on 127.0.0.1:`local` (0 = any free port) and forward to `remote` in the pod. */
export function portForward(netns: NetnsRef, local: number, remote: number, opts: PortForwardOptions = {}): Promise<PortForwardSession> {
  return startPortForward(netns, [{ local, remote }], opts);
}

