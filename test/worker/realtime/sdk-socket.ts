import { exports } from "cloudflare:workers";
import type { WebSocketClass } from "../../../src/client/index";
import { SESSION_COOKIE } from "../../../src/features/auth/session-token";

/** What a test sees and steers of the SDK's sockets. */
export interface WorkerSockets {
  WebSocket: WebSocketClass;
  /** The server ends of the connections that opened, so a test can cut them. */
  opened: WebSocket[];
  /** Every attempt's URL, in order, whether it reached the Worker or not. */
  attempts: string[];
  /** This many of the next attempts fail before reaching the Worker: the server is down (a restart). */
  refuse: number;
}

/**
 * A browser-shaped WebSocket class for the SDK inside the Workers pool: there is no network here,
 * so each "connection" is an upgrade through the Worker's own fetch, carrying the session cookie a
 * same-origin browser would send. Every instance is recorded, so a test can cut the server end.
 */
export function workerSockets(sessionToken: () => string | null): WorkerSockets {
  const opened: WebSocket[] = [];
  // The class reads `refuse` from the object the test holds, so it is that object that is returned.
  const network: Omit<WorkerSockets, "WebSocket"> = { opened, attempts: [], refuse: 0 };
  class WorkerWebSocket extends EventTarget {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;
    readonly CONNECTING = 0;
    readonly OPEN = 1;
    readonly CLOSING = 2;
    readonly CLOSED = 3;
    readyState = 0;
    binaryType = "blob";
    protocol = "";
    extensions = "";
    bufferedAmount = 0;
    private socket: WebSocket | null = null;

    constructor(readonly url: string) {
      super();
      void this.open();
    }

    send(data: string): void {
      this.socket?.send(data);
    }

    close(code = 1000, reason = ""): void {
      if (this.readyState >= 2) return;
      this.readyState = 2;
      try {
        this.socket?.close(code, reason);
      } catch {
        // already closed
      }
      this.finish(code, reason);
    }

    private async open(): Promise<void> {
      network.attempts.push(this.url);
      // A refused connection fails after the constructor returned, as a browser's does.
      if (network.refuse > 0) {
        network.refuse--;
        return void queueMicrotask(() => this.fail());
      }
      const url = new URL(this.url);
      url.protocol = url.protocol === "wss:" ? "https:" : "http:";
      const headers = new Headers({ upgrade: "websocket" });
      const token = sessionToken();
      if (token) headers.set("cookie", `${SESSION_COOKIE}=${token}`);
      let res: Response;
      try {
        res = await exports.default.fetch(new Request(url, { headers }));
      } catch {
        return this.fail();
      }
      const ws = res.webSocket;
      if (res.status !== 101 || !ws) {
        await res.body?.cancel();
        return this.fail();
      }
      if (this.readyState >= 2) return;
      ws.accept();
      this.socket = ws;
      opened.push(ws);
      ws.addEventListener("message", (event) => this.dispatchEvent(new MessageEvent("message", { data: event.data })));
      ws.addEventListener("close", (event) => this.finish(event.code, event.reason));
      ws.addEventListener("error", () => this.dispatchEvent(new Event("error")));
      this.readyState = 1;
      this.dispatchEvent(new Event("open"));
    }

    private fail(): void {
      if (this.readyState >= 2) return;
      this.dispatchEvent(new Event("error"));
      this.finish(1006, "upgrade refused");
    }

    private finish(code: number, reason: string): void {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this.dispatchEvent(new CloseEvent("close", { code, reason, wasClean: code !== 1006 }));
    }
  }
  return Object.assign(network, { WebSocket: WorkerWebSocket });
}
