// What every long bench script (reconnect, soak) shares around its own work: `--name=value`
// arguments, a timestamped log on stderr, a private temporary folder, and the list of things to stop,
// run in reverse on the way out whatever happened, before the folder is removed.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/** The value of `--name=value` on the command line, or `fallback`. */
export const arg = (name, fallback) => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(name.length + 3) : fallback;
};

/**
 * `name` labels the log lines and the temporary folder. Push a function onto `stops` for everything
 * started (servers, child processes); `run(main)` runs the bench, sets the exit code on an error and
 * stops everything, newest first, even when main threw.
 */
export function launcher(name) {
  const tmp = mkdtempSync(path.join(tmpdir(), `cyberhub-${name}-`));
  const stops = [];
  const log = (...a) => console.error(`[${name} ${new Date().toISOString().slice(11, 19)}]`, ...a);
  async function run(main) {
    try {
      await main();
    } catch (err) {
      console.error(err);
      process.exitCode = 1;
    } finally {
      for (const stop of stops.reverse()) {
        try {
          await stop();
        } catch {}
      }
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return { tmp, stops, log, run };
}
