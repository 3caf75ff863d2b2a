// A TCP forwarder on one fixed 127.0.0.1 port in front of the runtime, whose own port changes
// every time wrangler dev restarts it: the storm's clients keep one address, as browsers keep a
// site's. While the runtime is down, connections are refused (closed at once), as a load balancer
// with no healthy backend would. Run as a child process: `{ target: port }` over IPC points it at
// the runtime; it reports `{ listening: port }` once. Loopback only.
import net from "node:net";

let target = null;
const live = new Set();
const counts = { accepted: 0, forwarded: 0, refused: 0 };

const server = net.createServer((client) => {
  counts.accepted++;
  client.setNoDelay(true);
  if (target === null) {
    counts.refused++;
    client.destroy();
    return;
  }
  const upstream = net.connect({ host: "127.0.0.1", port: target });
  upstream.setNoDelay(true);
  const pair = { client, upstream };
  live.add(pair);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    live.delete(pair);
    client.destroy();
    upstream.destroy();
  };
  upstream.once("connect", () => counts.forwarded++);
  upstream.on("error", (err) => {
    if (err.code === "ECONNREFUSED") counts.refused++;
    end();
  });
  client.on("error", end);
  client.on("close", end);
  upstream.on("close", end);
  client.pipe(upstream);
  upstream.pipe(client);
});

process.on("message", (message) => {
  if (message.target !== undefined) target = message.target;
  if (message.counts) process.send({ counts: { ...counts, live: live.size } });
  if (message.stop) {
    for (const { client, upstream } of live) (client.destroy(), upstream.destroy());
    server.close(() => process.exit(0));
  }
});

server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => process.send({ listening: server.address().port }));
