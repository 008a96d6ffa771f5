// Whether virtio-vsock can serve as the host<->guest control channel. Node has no AF_VSOCK at all. Two
// separate questions: can this kernel make AF_VSOCK sockets (the address family is loaded), and can a VM
// started here get a vsock device (the host side needs /dev/vhost-vsock). A machine that is itself a vsock
// guest (it has /dev/vsock and a local CID) may answer yes to the first and no to the second; only the second
// matters to the microVM backend, which otherwise uses virtio-serial.
import { accessSync, closeSync, existsSync, openSync, constants as fsConstants } from 'node:fs';
import { errnoException, lastErrno, lazyBindings } from './libc';

const AF_VSOCK = 40;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const IOCTL_VM_SOCKETS_GET_LOCAL_CID = 0x7b9;
const VMADDR_CID_ANY = 0xffffffff; // what the ioctl answers when no guest transport is loaded

export interface VsockProbe {
  /** socket(AF_VSOCK, SOCK_STREAM, 0) succeeded. */
  addressFamily: boolean;
  /** Why it failed, e.g. "EAFNOSUPPORT: address family not supported by protocol, socket(AF_VSOCK)". */
  socketError?: string;
  socketErrorCode?: string;
  /** /dev/vhost-vsock exists: the host side QEMU's vhost-vsock device needs. */
  vhostDevice: boolean;
  /** ... and we may open it read-write. */
  vhostAccessible: boolean;
  /** /dev/vsock exists (the vsock core; a guest learns its own CID from it). */
  vsockDevice: boolean;
  /** This machine's own CID when it is a vsock guest (3 and up); undefined when unknown. */
  localCid?: number;
  /** A VM started here can be given a vsock device. */
  usableForGuests: boolean;
  detail: string;
}

export interface VsockProbeOptions {
  vhostPath?: string;
  vsockPath?: string;
}

const fns = lazyBindings('AF_VSOCK sockets', (lib) => ({
  socket: lib.func('int socket(int domain, int type, int protocol)') as (d: number, t: number, p: number) => number,
  close: lib.func('int close(int fd)') as (fd: number) => number,
  ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)') as (fd: number, req: number, ...rest: unknown[]) => number,
}));

function tryVsockSocket(): Pick<VsockProbe, 'addressFamily' | 'socketError' | 'socketErrorCode'> {
  try {
    const f = fns();
    const fd = f.socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      const err = errnoException('socket(AF_VSOCK)', lastErrno());
      return { addressFamily: false, socketError: err.message, socketErrorCode: err.code };
    }
    f.close(fd);
    return { addressFamily: true };
  } catch (e) {
    return { addressFamily: false, socketError: (e as Error).message, socketErrorCode: (e as NodeJS.ErrnoException).code };
  }
}

function localCid(vsockPath: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(vsockPath, fsConstants.O_RDONLY);
  } catch {
    return undefined;
  }
  try {
    const cid = new Uint32Array(1);
    if (fns().ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, 'void *', cid) < 0) return undefined;
    return cid[0] === VMADDR_CID_ANY ? undefined : cid[0];
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function accessible(path: string): boolean {
  try {
    accessSync(path, fsConstants.R_OK | fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Probes AF_VSOCK support and the vsock devices. Never throws. */
export function vsockAvailable(opts: VsockProbeOptions = {}): VsockProbe {
  const vhostPath = opts.vhostPath ?? '/dev/vhost-vsock';
  const vsockPath = opts.vsockPath ?? '/dev/vsock';
  const sock = tryVsockSocket();
  const vhostDevice = existsSync(vhostPath);
  const vhostAccessible = vhostDevice && accessible(vhostPath);
  const vsockDevice = existsSync(vsockPath);
  const cid = vsockDevice ? localCid(vsockPath) : undefined;
  const usableForGuests = sock.addressFamily && vhostAccessible;
  let detail: string;
  if (usableForGuests) detail = `${vhostPath} is available: VMs can get a vsock device`;
  else if (!sock.addressFamily) detail = `no AF_VSOCK (${sock.socketError}); use virtio-serial for the guest channel`;
  else if (!vhostDevice) {
    detail = `AF_VSOCK works${cid !== undefined ? ` (this machine is vsock guest CID ${cid})` : ''} but ${vhostPath} is missing: VMs started here cannot get vsock; use virtio-serial`;
  } else detail = `${vhostPath} exists but is not readable and writable by this user; use virtio-serial`;
  return { ...sock, vhostDevice, vhostAccessible, vsockDevice, ...(cid !== undefined ? { localCid: cid } : {}), usableForGuests, detail };
}
