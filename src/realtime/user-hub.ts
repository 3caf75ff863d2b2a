import { DurableObject } from "cloudflare:workers";
import type { PrivateEvent } from "./events";

/** One per user (idFromName(userId)): that user's sockets and event stream. */
export class UserHub extends DurableObject<Env> {
  async publish(events: PrivateEvent[]): Promise<void> {
    const frame = JSON.stringify({ type: "events", events });
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(frame);
      } catch {
        // a dead socket never aborts a publish
      }
    }
  }

  async endSession(sessionId: string): Promise<void> {
    for (const ws of this.ctx.getWebSockets(`session:${sessionId}`)) ws.close(4001, "session ended");
  }
}
