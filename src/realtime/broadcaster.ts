import { DurableObject } from "cloudflare:workers";
import type { PublicEvent } from "./events";

/** The global public channel (idFromName("global")). */
export class Broadcaster extends DurableObject<Env> {
  async publish(events: PublicEvent[]): Promise<void> {
    const frame = JSON.stringify({ type: "events", events });
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(frame);
      } catch {
        // a dead socket never aborts a broadcast
      }
    }
  }
}

/** A slice of the lobby's sockets; the broadcaster fans out to every shard. */
export class LobbyShard extends DurableObject<Env> {}
