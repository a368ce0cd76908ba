import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import {
  CloseCode,
  handleProtocols,
  makeServer,
  type ConnectionInitMessage,
  type FormattedExecutionResult,
  type ServerOptions,
} from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';

/**
 * graphql-ws on `ws`: what `graphql-ws/use/ws`'s `useServer` does (protocol check, keep-alive pings, closing
 * on errors), plus two things that make fan-out cheap.
 *
 * - **One serialization per result.** `onNext` may answer `preparedPayload(json)` with a result serialized
 *   once for every subscription that shares it: graphql-ws then stringifies a `next` message whose payload is
 *   a placeholder, and `send` puts the prepared JSON in its place, so a `next` frame is
 *   `{"id":<id>,"type":"next","payload":<the shared JSON>}` and costs a string concatenation per socket.
 * - **One write per socket per tick.** The first frame a socket sends in a tick corks its TCP socket, and the
 *   cork is released once the tick's microtasks ran: the updates every subscription of that socket gets
 *   from one change (they resolve in the same tick) leave in one `writev` instead of a syscall each.
 */

/** What `JSON.stringify` makes of a prepared payload inside graphql-ws's message. */
const PLACEHOLDER = '"payload":0}';
/** The prepared JSON of the `next` message being stringified right now (stringify and send are synchronous). */
let stringified: string | null = null;

class PreparedPayload {
  constructor(private readonly json: string) {}
  /** Called by graphql-ws's `JSON.stringify` of the message, just before it hands the text to `send`. */
  toJSON(): number {
    stringified = this.json;
    return 0;
  }
}

/**
 * A `next` payload that is already JSON (`JSON.stringify` of a formatted execution result), for `onNext`.
 * Only the `ws` binding below knows how to send it.
 */
export function preparedPayload(json: string): FormattedExecutionResult {
  return new PreparedPayload(json) as unknown as FormattedExecutionResult;
}

/** The message graphql-ws stringified, with a prepared payload put in for its placeholder. */
function frameOf(data: string): string {
  const json = stringified;
  stringified = null;
  if (json === null) return data;
  if (!data.endsWith(PLACEHOLDER)) throw new Error('graphql-ws message does not end in a payload');
  return `${data.slice(0, -'0}'.length)}${json}}`;
}

/** What each connection's context carries, as in `graphql-ws/use/ws`. */
export interface WsExtra {
  readonly socket: WebSocket;
  readonly request: IncomingMessage;
  /**
   * Sends a complete frame outside graphql-ws (direct delivery, events/shared.ts), through the same
   * per-tick cork as graphql-ws's own messages; nothing when the socket is no longer open.
   */
  readonly sendFrame: (frame: string) => void;
}

/**
 * `useServer` of `graphql-ws/use/ws` with the two changes above. `onInternalError` hears what that one
 * prints; the socket is closed with 4500, its reason the error's message outside production.
 */
export function useServer<P extends ConnectionInitMessage['payload'], E extends Record<PropertyKey, unknown>>(
  options: ServerOptions<P, WsExtra & Partial<E>>,
  wss: WebSocketServer,
  opts: { keepAliveMs: number; production: boolean; onInternalError: (err: unknown) => void },
): { dispose(): Promise<void> } {
  const server = makeServer(options);
  const { keepAliveMs } = opts;
  wss.options.handleProtocols = handleProtocols;
  const internalError = (socket: WebSocket, err: unknown) => {
    opts.onInternalError(err);
    const message = err instanceof Error ? err.message : String(err);
    const reason = 'Internal server error';
    socket.close(CloseCode.InternalServerError, opts.production || message.length >= 124 ? reason : message);
  };
  wss.once('error', (err) => {
    for (const client of wss.clients) internalError(client, err);
  });
  wss.on('connection', (socket, request) => {
    socket.once('error', (err) => internalError(socket, err));
    const tcp: Socket = request.socket;
    let corked = false;
    const uncork = () => {
      corked = false;
      tcp.uncork();
    };
    /** Writes `frame`; the first frame of a tick corks the TCP socket until this tick's promise jobs ran. */
    const write = (frame: string, cb?: (err?: Error) => void): void => {
      if (!corked) {
        corked = true;
        tcp.cork();
        // after this tick's promise jobs: every frame they sent to this socket goes out in one write
        process.nextTick(uncork);
      }
      socket.send(frame, cb);
    };
    let pongWait: NodeJS.Timeout | null = null;
    const pingInterval =
      keepAliveMs > 0 && Number.isFinite(keepAliveMs)
        ? setInterval(() => {
            if (socket.readyState !== socket.OPEN) return;
            pongWait = setTimeout(() => socket.terminate(), keepAliveMs);
            socket.once('pong', () => {
              if (pongWait) clearTimeout(pongWait);
              pongWait = null;
            });
            socket.ping();
          }, keepAliveMs)
        : null;
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) => {
          const frame = frameOf(data);
          return new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            write(frame, (err) => (err ? reject(err) : resolve()));
          });
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (cb) =>
          socket.on('message', async (event) => {
            try {
              await cb(String(event));
            } catch (err) {
              internalError(socket, err);
            }
          }),
      },
      {
        socket,
        request,
        sendFrame: (frame: string) => {
          if (socket.readyState === socket.OPEN) write(frame);
        },
      } as WsExtra & Partial<E>,
    );
    socket.once('close', (code, reason) => {
      if (pongWait) clearTimeout(pongWait);
      if (pingInterval) clearInterval(pingInterval);
      void closed(code, String(reason));
    });
  });
  return {
    async dispose() {
      for (const client of wss.clients) client.close(1001, 'Going away');
      wss.removeAllListeners();
      await new Promise<void>((resolve, reject) => wss.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
