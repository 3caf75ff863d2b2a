// `npm start`: migrate the local D1, start `wrangler dev`, seed the demo data, print how to log in.
import path from "node:path";
import { DEMO, seedDemo } from "./lib/seed-demo.mjs";
import { ROOT, migrateLocal, startDevServer } from "./lib/dev-server.mjs";

const stateDir = path.join(ROOT, ".wrangler", "state");
const port = Number(process.env.PORT ?? 8787);

await migrateLocal(stateDir);
const server = await startDevServer({ stateDir, port, logLevel: process.env.LOG_LEVEL ?? "info", stdio: "inherit" });
await seedDemo(server.url, stateDir);

console.log(`
  CyberHub Edge is running at ${server.url}

  Player  ${DEMO.player.email} / ${DEMO.player.password}
  Admin   ${DEMO.admin.email} / ${DEMO.admin.password}
  New here? Sign up, open the Daily Free case, redeem ${DEMO.promo.code}.

  Health  ${server.url}/health      Stop with Ctrl+C.
`);

const shutdown = async () => {
  await server.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
