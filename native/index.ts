// Native bindings (koffi) for what Node cannot do alone. Every binding loads lazily: importing this module
// never touches koffi or libc, and a missing library or symbol surfaces as NativeUnavailableError on first use.
export { NativeUnavailableError } from './libc';
export { FdHandle, FdClosedError, AGAIN, setNonBlocking } from './fd-handle';
export type { Attempt } from './fd-handle';
export { openPty, setWindowSize, getWindowSize, setRawMode, PtyMasterStream, spawnInPty } from './pty';
export type { WindowSize, PtyPair, PtySpawnOptions, PtyProcess } from './pty';
export { UnixListener, connectUnix, unixSocketPair, shutdownSocket, SHUT_RD, SHUT_WR } from './unix-socket';
export type { UnixSocketKind } from './unix-socket';
export { sendWithFds, receiveWithFds, ConsoleSocket } from './fd-passing';
export type { FdMessage, ReceiveOptions, ConsoleMaster } from './fd-passing';
export { SeqpacketSocket } from './seqpacket';
export { ConmonAttach, conmonAttachPath, parseAttachFrame, CONMON_STDOUT, CONMON_STDERR } from './conmon-attach';
export type { AttachFrame, AttachStream } from './conmon-attach';
export { vsockAvailable } from './vsock';
export type { VsockProbe, VsockProbeOptions } from './vsock';
export { probeKvm, kvmVerdict } from './kvm';
export { bindMount, makeSharedMount, detachMount, mountApiAvailable } from './mount';
export type { BindOptions } from './mount';
export type { KvmProbe, KvmFacts, KvmVerdict, KvmProbeOptions } from './kvm';
export { openDirectory, openBeneath, mkdirBeneath, bindMountFd, unmount, closeFd, statFd } from './safe-open';
export type { BeneathOptions } from './safe-open';
