import type { ComponentChildren } from "preact";

/**
 * What a verifier computed in the browser, in one shape for openings, upgrades and battles: a
 * headline saying whether everything matched, then one line per thing compared.
 */
export function VerdictBox({ fair, what, testId, children }: { fair: boolean; what: string; testId: string; children: ComponentChildren }) {
  return (
    <div class={`verdict ${fair ? "ok" : "bad"}`} role="status" data-testid={testId} data-fair={fair ? "true" : "false"}>
      <strong>{fair ? `✔ Verified: ${what} is fair.` : "✘ Does not match."}</strong>
      <ul>{children}</ul>
    </div>
  );
}

/** The first line of every verdict: the revealed server seed is the one committed before the rolls. */
export function SeedLine({ matches }: { matches: boolean }) {
  return <li>Seed matches its committed hash: {matches ? "yes" : "no"}</li>;
}
