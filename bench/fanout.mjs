// Fan-out: time from the HTTP call that causes an event to the last of N sockets receiving it.
import { waitForAll } from "./lib/sockets.mjs";
import { median, max, round, sleep } from "./lib/stats.mjs";

/** `trigger()` makes the HTTP call; `match(text)` recognises the event on a socket. */
export async function measureFanout(sockets, trigger, match, repeats) {
  const runs = [];
  for (let i = 0; i < repeats; i++) {
    const arrived = waitForAll(sockets, match, 60_000);
    const t0 = performance.now();
    await trigger(i);
    const http = performance.now() - t0;
    const { first, last } = await arrived;
    runs.push({ http, first: first - t0, last: last - t0 });
    await sleep(50);
  }
  const lasts = runs.map((r) => r.last);
  return {
    n: sockets.length,
    repeats,
    lastMedian: round(median(lasts)),
    lastMax: round(max(lasts)),
    firstMedian: round(median(runs.map((r) => r.first))),
    httpMedian: round(median(runs.map((r) => r.http))),
    runs: runs.map((r) => ({ http: round(r.http), first: round(r.first), last: round(r.last) })),
  };
}
