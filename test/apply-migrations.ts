import { applyD1Migrations, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll } from "vitest";
import { broadcaster } from "../src/realtime/stubs";

// Setup files run before every test file; applyD1Migrations skips what is already applied.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

/**
 * A file that opened cases leaves drops held for their reveal (REVEAL_MS): an isolate batch in a
 * waitUntil, then the broadcaster's alarm. Work the runtime does after a file's last test logs into a
 * test runner that is already closing its channel, which vitest reports as an unhandled error. So
 * a file ends only once the lobby has nothing left to send (bounded: the hold is about a second here).
 */
afterAll(async () => {
  const deadline = Date.now() + 10_000;
  await new Promise((resolve) => setTimeout(resolve, 300));
  const pending = () => runInDurableObject(broadcaster(env), (_instance, state) => state.storage.getAlarm());
  while ((await pending()) !== null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
});
