import ReconnectingWebSocket from "partysocket/ws";
import { PING, PONG, parseServerMessage, type ServerMessage } from "../realtime/protocol";

/** One socket's health, as a TopBar shows it. */
export type ConnectionState = "connecting" | "open" | "reconnecting" | "offline";

/** Any WebSocket class with the browser's constructor (the browser's own, or the `ws` package's in Node). */
export type WebSocketClass = new (url: string, protocols?: string | string[]) => unknown;

export interface ChannelTuning {
  /**
   * The first reconnect after a drop waits a random time in [0, minDelayMs] ("full jitter"), and
   * so does the next if that one failed; from then on each failed attempt in a row doubles the
   * window, up to `maxDelayMs` (retryWindowMs). A deploy drops every socket at once: the randomness
   * spreads the clients' return over the window instead of sending them back in one wave, and the
   * doubling slows everyone down while the server is overloaded.
   */
  minDelayMs: number;
  maxDelayMs: number;
  /** An attempt whose handshake has not opened by then is a failed attempt. */
  connectTimeoutMs: number;
  /** How often a ping goes out on an open socket. */
  heartbeatMs: number;
  /** A ping not answered within this is a dead connection: the socket is dropped and reopened. */
  pongTimeoutMs: number;
  /** After this many failed attempts in a row the socket reports `offline` (it keeps retrying). */
  offlineAfter: number;
}

/**
 * The window the `attempt`-th attempt in a row waits a random part of. The second gets the same
 * window as the first: a deploy's outage (the new server not answering yet) is shorter than one
 * window, and an attempt that fell into it cost the server nothing, so it is no reason to wait
 * twice as long; doubling starts with the second failure (BENCHMARKS.md, "Restart with 1,000 players").
 */
export function retryWindowMs(attempt: number, { minDelayMs, maxDelayMs }: Pick<ChannelTuning, "minDelayMs" | "maxDelayMs">): number {
  return Math.min(maxDelayMs, minDelayMs * 2 ** Math.max(0, attempt - 2));
}

export interface ChannelOptions {
  /** Builds the URL of the next attempt (fresh ticket, current resume point). Throwing counts as a failed attempt. */
  url: () => Promise<string>;
  WebSocket?: WebSocketClass;
  tuning: ChannelTuning;
  onFrame: (frame: ServerMessage) => void;
  onStateChange: () => void;
  /** Close codes after which reconnecting is pointless (e.g. 4001: the session ended). */
  terminalCodes: number[];
}

/**
 * The class partysocket constructs. Node's `ws` offers permessage-deflate unless its third
 * constructor argument turns it off; browser classes have no third argument and ignore it. Our
 * frames are small JSON, and compression cost the server 2–4× the fan-out time and about twice
 * the memory per socket (BENCHMARKS.md, section 5), so this client never asks for it.
 */
function uncompressed(Base: WebSocketClass): WebSocketClass {
  const WithOptions = Base as unknown as new (url: string, protocols: string | string[] | undefined, options: { perMessageDeflate: false }) => object;
  return class extends WithOptions {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { perMessageDeflate: false });
    }
  };
}

/**
 * One reconnecting socket (private or lobby) on top of partysocket, plus the heartbeat and the
 * state a UI needs. partysocket's own backoff has no randomness (every client of a deploy would
 * come back on the same beat), so it is switched off and the delay is taken in the URL provider,
 * which partysocket awaits before every attempt.
 */
export class Channel {
  private readonly rws: ReconnectingWebSocket;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private pongDeadline: ReturnType<typeof setTimeout> | undefined;
  private everOpened = false;
  private stopped = false;
  private attempts = 0;
  state: ConnectionState = "connecting";

  constructor(private readonly options: ChannelOptions) {
    const { tuning } = options;
    this.rws = new ReconnectingWebSocket(() => this.nextUrl(), undefined, {
      WebSocket: options.WebSocket && uncompressed(options.WebSocket),
      // No delay of partysocket's own: nextUrl() waits (see ChannelTuning.minDelayMs).
      minReconnectionDelay: 0,
      maxReconnectionDelay: 0,
      connectionTimeout: tuning.connectTimeoutMs,
      // Nothing the client sends is worth replaying after a reconnect; resume uses the URL instead.
      maxEnqueuedMessages: 0,
      shouldReconnectOnClose: (event) => !options.terminalCodes.includes(event.code),
    });
    this.rws.addEventListener("open", () => {
      this.everOpened = true;
      this.attempts = 0;
      this.startHeartbeat();
      this.update();
    });
    this.rws.addEventListener("message", (event) => this.receive(event.data));
    this.rws.addEventListener("close", (event) => {
      this.stopHeartbeat();
      if (this.options.terminalCodes.includes(event.code)) this.stopped = true;
      this.update();
    });
    this.rws.addEventListener("error", () => this.update());
  }

  send(text: string): void {
    if (this.rws.readyState === ReconnectingWebSocket.OPEN) this.rws.send(text);
  }

  close(): void {
    this.stopped = true;
    this.stopHeartbeat();
    this.rws.close(1000, "client closed");
    this.update();
  }

  private async nextUrl(): Promise<string> {
    this.attempts++;
    this.update();
    const { minDelayMs, maxDelayMs } = this.options.tuning;
    // The very first connect goes at once; every later attempt waits a random part of its window.
    if (this.everOpened || this.attempts > 1) {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * retryWindowMs(this.attempts, { minDelayMs, maxDelayMs })));
    }
    return this.options.url();
  }

  private receive(data: unknown): void {
    if (typeof data !== "string") return;
    if (data === PONG) {
      clearTimeout(this.pongDeadline);
      this.pongDeadline = undefined;
      return;
    }
    const frame = parseServerMessage(data);
    if (frame) this.options.onFrame(frame);
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      if (this.pongDeadline !== undefined) return;
      this.send(PING);
      // A socket can look open for minutes after the network died; only a missing pong tells.
      this.pongDeadline = setTimeout(() => {
        this.pongDeadline = undefined;
        this.rws.reconnect(4000, "heartbeat timeout");
      }, this.options.tuning.pongTimeoutMs);
    }, this.options.tuning.heartbeatMs);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    clearTimeout(this.pongDeadline);
    this.heartbeat = undefined;
    this.pongDeadline = undefined;
  }

  private update(): void {
    const next: ConnectionState =
      this.rws.readyState === ReconnectingWebSocket.OPEN && !this.stopped
        ? "open"
        : this.stopped || this.attempts > this.options.tuning.offlineAfter
          ? "offline"
          : this.everOpened
            ? "reconnecting"
            : "connecting";
    if (next === this.state) return;
    this.state = next;
    this.options.onStateChange();
  }
}
