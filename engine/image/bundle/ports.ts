// Ports the image exposes and the container declares, and the stop signal: facts the engine's networking
// and shutdown need that have no place in config.json.

import type { ImageConfig } from '../types';
import type { ContainerSpec, PortReport, Protocol } from './types';

function protocol(text: string | undefined): Protocol | undefined {
  const p = (text ?? 'tcp').toUpperCase();
  return p === 'TCP' || p === 'UDP' || p === 'SCTP' ? p : undefined;
}

export function reportPorts(image: ImageConfig, container: ContainerSpec): PortReport {
  const exposed: PortReport['exposed'] = [];
  for (const key of Object.keys(image.config?.ExposedPorts ?? {})) {
    // Keys are `port/proto` with the protocol optional (tcp); anything else is not a port.
    const m = /^(\d{1,5})(?:\/([a-zA-Z]+))?$/.exec(key);
    const proto = protocol(m?.[2]);
    const port = Number(m?.[1]);
    if (!m || !proto || port < 1 || port > 65535) continue;
    exposed.push({ port, protocol: proto });
  }
  // JSON object key order puts integer-like keys ("8080") first, so sort for a stable report.
  exposed.sort((a, b) => a.port - b.port || a.protocol.localeCompare(b.protocol));
  const declared = (container.ports ?? []).map((p) => ({ ...p, protocol: protocol(p.protocol) ?? 'TCP' }));
  return { exposed, declared };
}

/** Container lifecycle stopSignal, then the image's StopSignal, then SIGTERM; names get the SIG prefix. */
export function stopSignal(image: ImageConfig, container: ContainerSpec): string {
  const raw = (container.lifecycle?.stopSignal || image.config?.StopSignal || 'SIGTERM').trim();
  if (/^\d+$/.test(raw)) return raw;
  const upper = raw.toUpperCase();
  return upper.startsWith('SIG') ? upper : `SIG${upper}`;
}
