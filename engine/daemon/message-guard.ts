// Bounds what one JSON-RPC connection can make the daemon hold in memory. vscode-jsonrpc's reader buffers a
// header block until its blank line and a body until its announced Content-Length, however large. This watcher
// sees the same bytes first, follows the same framing, and reports a header block over MAX_MESSAGE_HEADERS, a
// missing or malformed Content-Length, or a body over MAX_MESSAGE, so the caller can end the connection before
// anything big piles up.
import type { Socket } from 'node:net';
import { MAX_MESSAGE, MAX_MESSAGE_HEADERS } from '../protocol/messages';

const BLANK_LINE = Buffer.from('\r\n\r\n');

export function guardMessageSizes(socket: Socket, onViolation: (why: string) => void): void {
  let header = Buffer.alloc(0);
  let body = 0; // bytes of the current body still to come
  let violated = false;
  const violation = (why: string): void => {
    violated = true;
    socket.off('data', onData);
    onViolation(why);
  };
  const onData = (chunk: Buffer): void => {
    let at = 0;
    while (at < chunk.length && !violated) {
      if (body > 0) {
        const take = Math.min(body, chunk.length - at);
        body -= take;
        at += take;
        continue;
      }
      header = Buffer.concat([header, chunk.subarray(at)]);
      const end = header.indexOf(BLANK_LINE);
      if (end < 0) {
        if (header.length > MAX_MESSAGE_HEADERS) violation(`a message header block over ${MAX_MESSAGE_HEADERS} bytes`);
        return;
      }
      if (end > MAX_MESSAGE_HEADERS) return violation(`a message header block over ${MAX_MESSAGE_HEADERS} bytes`);
      const length = contentLength(header.subarray(0, end).toString('latin1'));
      if (length === undefined) return violation('a message without a valid Content-Length header');
      if (length > MAX_MESSAGE) return violation(`a message of ${length} bytes, over the ${MAX_MESSAGE}-byte limit`);
      // What followed the header block in this chunk is body (and maybe the next message).
      const consumed = chunk.length - at - (header.length - end - BLANK_LINE.length);
      at += consumed;
      header = Buffer.alloc(0);
      body = length;
    }
  };
  socket.on('data', onData);
}

function contentLength(headers: string): number | undefined {
  let length: number | undefined;
  for (const line of headers.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0 || line.slice(0, colon).trim().toLowerCase() !== 'content-length') continue;
    const value = line.slice(colon + 1).trim();
    if (!/^\d{1,15}$/.test(value)) return undefined;
    length = Number(value);
  }
  return length;
}
