type Level = "debug" | "info" | "warn" | "error";

/**
 * Structured logs: one JSON object per line, which Workers Logs and `wrangler tail`
 * index by field. Never log secrets, tokens or password material.
 */
export function log(level: Level, event: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ level, event, ...fields, at: new Date().toISOString() });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
