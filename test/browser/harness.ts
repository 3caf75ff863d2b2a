// Shared setup for the browser tests: Debian's Chromium driven by playwright-core against a
// real `wrangler dev` with its own state folder and a free port.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { buildSite } from "../../scripts/build-site.mjs";
import * as devServer from "../../scripts/lib/dev-server.mjs";
import { seedDemo } from "../../scripts/lib/seed-demo.mjs";

export interface Server {
  url: string;
  port: number;
  stop(): Promise<void>;
}

// scripts/lib is plain JavaScript whose defaults TypeScript cannot infer; this is the part we use.
interface DevServerScripts {
  ROOT: string;
  migrateLocal(stateDir: string): Promise<void>;
  startDevServer(options: { stateDir: string; port?: number; vars?: Record<string, string> }): Promise<Server>;
}
const { ROOT, migrateLocal, startDevServer } = devServer as unknown as DevServerScripts;

export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = path.join(ROOT, "test-results", "screenshots");

/**
 * Whether this machine can run the browser tests. Outside CI a missing Chromium skips them with a
 * message; under CI=true it is a failure, so a broken CI image can never pass silently.
 */
export function browserAvailability(): { run: boolean; reason: string } {
  if (existsSync(CHROMIUM)) return { run: true, reason: "" };
  if (process.env.CI === "true") {
    throw new Error(`CI=true but ${CHROMIUM} is missing: install Debian's chromium package (.ci/run does).`);
  }
  return { run: false, reason: `Skipping the browser tests: ${CHROMIUM} not found (apt-get install -y chromium). Under CI=true this fails instead.` };
}

/**
 * A wrangler dev with migrated, seeded local state; `restart()` comes back on the same port and state.
 * `vars` override wrangler.toml's [vars] for this server (e.g. a short BATTLE_ROUND_MS).
 */
export async function startSeededServer(options: { vars?: Record<string, string> } = {}) {
  const stateDir = mkdtempSync(path.join(tmpdir(), "cyberhub-browser-state-"));
  const vars = options.vars ?? {};
  await buildSite({ minify: true });
  await migrateLocal(stateDir);
  let server: Server = await startDevServer({ stateDir, vars });
  const seeded = await seedDemo(server.url, stateDir);
  return {
    stateDir,
    seeded,
    get url() {
      return server.url;
    },
    stop: () => server.stop(),
    async restart() {
      server = await startDevServer({ stateDir, port: server.port, vars });
    },
    async dispose() {
      await server.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** What a page reports for a Content-Security-Policy violation, recorded so tests can require none. */
export interface CspViolation {
  page: string;
  directive: string;
  blocked: string;
}

/**
 * Records every CSP violation in the profile's pages: the `securitypolicyviolation` event (listened
 * for by an init script, which the page's policy does not govern) and the console error Chromium logs.
 */
async function recordCspViolations(context: BrowserContext): Promise<CspViolation[]> {
  const violations: CspViolation[] = [];
  await context.exposeBinding("__cspViolation", (_source, violation: CspViolation) => void violations.push(violation));
  await context.addInitScript(() => {
    const report = (globalThis as unknown as { __cspViolation(v: CspViolation): void }).__cspViolation;
    document.addEventListener(
      "securitypolicyviolation",
      (e) => report({ page: location.pathname, directive: e.effectiveDirective, blocked: e.blockedURI || e.sample }),
      true,
    );
  });
  context.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
      violations.push({ page: new URL(message.page()?.url() ?? "about:blank").pathname, directive: "console", blocked: message.text() });
    }
  });
  return violations;
}

/** One isolated browser profile (its own cookies) per simulated person. */
export async function launchProfile(): Promise<{ context: BrowserContext; page: Page; cspViolations: CspViolation[]; dispose(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), "cyberhub-chromium-"));
  const context = await chromium.launchPersistentContext(path.join(dir, "profile"), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 860 },
    env: { ...process.env, XDG_CONFIG_HOME: path.join(dir, "config"), XDG_CACHE_HOME: path.join(dir, "cache") },
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  // The suite shares two cores with wrangler and workerd: generous waits, never a timing assertion.
  context.setDefaultTimeout(45_000);
  context.setDefaultNavigationTimeout(60_000);
  const cspViolations = await recordCspViolations(context);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    cspViolations,
    async dispose() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage });
}

/** Opens a page of the site; tests then wait for what they need rather than for every image. */
export async function visit(page: Page, url: string): Promise<void> {
  await page.goto(url, { waitUntil: "domcontentloaded" });
}

/** Logs in through the site's own form, as a person would. */
export async function logIn(page: Page, baseUrl: string, email: string, password: string): Promise<void> {
  await visit(page, `${baseUrl}/login`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("form button[type=submit]");
  await page.waitForSelector("[data-testid=balance]");
}

/** Marks the document; if the page reloads, the mark is gone. Proves updates arrived live. */
export async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => document.documentElement.setAttribute("data-no-reload", "1"));
}

export async function stillSameDocument(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.getAttribute("data-no-reload") === "1");
}

/**
 * Node-side API call with a bearer token, one connection per call: workerd drops idle keep-alive
 * connections after ~5 s, and a pooled one reused just then is reset.
 */
export async function apiCall(baseUrl: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", "idempotency-key": crypto.randomUUID(), connection: "close" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
