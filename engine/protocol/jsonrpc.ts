// vscode-jsonrpc as the daemon's clients use it: the protocol's classes, and a connection over a unix socket.
// Its package entry (vscode-jsonrpc/node) loads node:crypto at start-up, for pipe names Podsmith never makes;
// this takes the same parts from its modules directly, so a CLI command (two start-ups per pod) skips that.
import type { Duplex } from 'node:stream';
import RIL from 'vscode-jsonrpc/lib/node/ril';
import { createMessageConnection, NullLogger, ReadableStreamMessageReader, WriteableStreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/lib/common/api';

// What vscode-jsonrpc/node does first: Node's timers, encoders and stream adapters for the common code.
RIL.install();

export * from 'vscode-jsonrpc/lib/common/api';

/** A JSON-RPC connection over a connected socket or any stream (an SSH channel), as vscode-jsonrpc/node's readers and writers. */
export function socketConnection(socket: Duplex): MessageConnection {
  const reader = new ReadableStreamMessageReader(RIL().stream.asReadableStream(socket));
  const writer = new WriteableStreamMessageWriter(RIL().stream.asWritableStream(socket));
  return createMessageConnection(reader, writer, NullLogger);
}
