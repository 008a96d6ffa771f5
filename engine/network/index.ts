// Pod networking: loopback in each pod's own namespace, pasta for outbound traffic and hostPorts, and
// port-forward from the host into a pod's loopback.
export { netnsPath, netnsInode, type NetnsRef } from './netns';
export { bringUpLoopback, loopbackState, type LoopbackState } from './loopback';
export { startPasta, stopPasta, pastaStatus, readPastaRecord, PastaUnavailableError, type StartPastaOptions, type PastaRecord, type PastaStatus } from './pasta';
export { pastaArgs, checkHostPorts, type HostPortMapping, type PortProtocol } from './pasta-args';
export { portForward, startPortForward, type PortForwardOptions, type PortForwardSession, type ForwardedPort } from './port-forward';
export { parsePortSpec, parseListenAddresses, type PortPair } from './port-spec';
export { startScratchNetns, type ScratchNetns } from './scratch-netns';
export { connectPod, disconnectPod, forwardHostPorts, type ConnectPodOptions, type PodNetwork } from './pod-network';
export { namespaceAddresses } from './pod-addresses';
