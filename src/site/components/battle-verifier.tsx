import { useState } from "preact/hooks";
import { verifyBattle } from "../../fairness/verify";
import { describeError } from "../api";
import { formatCents } from "../money";
import type { BattleState } from "../types";
import { SeedLine, VerdictBox } from "./verdict";

type Outcome = Awaited<ReturnType<typeof verifyBattle>>;

interface Comparison {
  rolls: number;
  mismatches: string[];
  totalsMatch: boolean;
  winnerMatches: boolean;
}

/** What the browser computed against what the room showed: every roll, every total, the winner. */
function compare(battle: BattleState, outcome: Outcome): Comparison {
  const mismatches: string[] = [];
  let rolls = 0;
  for (const round of battle.revealed) {
    for (const said of round.results) {
      rolls += 1;
      const mine = outcome.rolls[round.round - 1]?.[said.seat - 1];
      if (!mine) mismatches.push(`round ${round.round}, seat ${said.seat}: not recomputed`);
      else if (mine.roll !== said.roll || mine.itemIndex !== said.itemIndex) {
        mismatches.push(`round ${round.round}, seat ${said.seat}: roll ${mine.roll} (item #${mine.itemIndex + 1}), the server said ${said.roll} (item #${said.itemIndex + 1})`);
      }
    }
  }
  // Every round of the battle must have been shown, each with every seat.
  const expected = battle.rounds.length * battle.seatCount;
  if (rolls !== expected) mismatches.push(`${rolls} rolls shown, the battle has ${expected}`);
  const totalsMatch = battle.totals.every((t) => outcome.totals[t.seat - 1] === t.total);
  const w = battle.winner;
  const winnerMatches =
    w !== null &&
    w.team === outcome.winner.team &&
    w.seats.join() === outcome.winner.seats.join() &&
    (w.tiebreak?.roll ?? null) === (outcome.winner.tiebreak?.roll ?? null);
  return { rolls, mismatches, totalsMatch, winnerMatches };
}

/**
 * Recomputes a finished battle in the browser with the shared verifier (src/fairness/verify.ts, the
 * code the server rolls with): from the revealed server seed, the seats' client seeds and the case
 * revisions, every round's roll per seat, the totals and the winner.
 */
export function BattleVerifier({ battle }: { battle: BattleState }) {
  const [result, setResult] = useState<{ outcome: Outcome; comparison: Comparison } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const serverSeed = battle.fairness.serverSeed;

  const verify = async () => {
    if (!serverSeed) return;
    setBusy(true);
    setProblem(null);
    setResult(null);
    try {
      const rounds = battle.rounds.map((rc) => {
        const revision = battle.cases.find((c) => c.caseId === rc.caseId && c.caseVersion === rc.caseVersion);
        if (!revision) throw new Error(`The battle does not list round ${rc.round}'s case revision.`);
        return revision.items;
      });
      const outcome = await verifyBattle({
        serverSeed,
        serverSeedHash: battle.fairness.serverSeedHash,
        clientSeeds: battle.fairness.clientSeeds.split(","),
        format: battle.format,
        mode: battle.mode,
        rounds,
      });
      setResult({ outcome, comparison: compare(battle, outcome) });
    } catch (err) {
      setProblem(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const c = result?.comparison;
  const fair = result !== null && c !== undefined && result.outcome.seedMatchesHash && c.mismatches.length === 0 && c.totalsMatch && c.winnerMatches;
  return (
    <div class="panel battle-verifier">
      <h2>Verify this battle</h2>
      <p class="muted small">
        Recomputed here in your browser with the code the server uses: SHA-256 of the server seed, then for round r and seat s
        HMAC-SHA256(serverSeed, "clientSeeds:r:s") mapped onto that round's item weights; a tie is settled by HMAC-SHA256(serverSeed,
        "clientSeeds:tiebreak:0") over the tied teams.
      </p>
      {!serverSeed ? (
        <p class="muted">The server seed is revealed when the battle ends; the verifier opens then.</p>
      ) : (
        <button type="button" class="btn btn-primary" data-testid="verify-battle" disabled={busy} onClick={verify}>
          {busy ? "Recomputing…" : "Verify every roll in my browser"}
        </button>
      )}
      {problem && <p class="form-error" role="alert">{problem}</p>}
      {result && c && (
        <VerdictBox fair={fair} what="this battle" testId="battle-verdict">
          <SeedLine matches={result.outcome.seedMatchesHash} />
          <li>
            Rolls recomputed: {c.rolls}, {c.mismatches.length === 0 ? "every one as shown" : `${c.mismatches.length} different`}
            {c.mismatches.length > 0 && (
              <ul>
                {c.mismatches.map((m) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            )}
          </li>
          <li>
            Totals: {result.outcome.totals.map((t, i) => `seat ${i + 1} ${formatCents(t)}`).join(", ")}
            {c.totalsMatch ? ", as shown" : ", different from what was shown"}
          </li>
          <li>
            Winner: {battle.format === "2v2" ? `team ${result.outcome.winner.team}` : `seat ${result.outcome.winner.team}`}
            {result.outcome.winner.tiebreak && ` (tie roll ${result.outcome.winner.tiebreak.roll} among ${result.outcome.winner.tiebreak.tiedTeams.join(", ")})`}
            {c.winnerMatches ? ", as announced" : ", not the one announced"}
          </li>
        </VerdictBox>
      )}
    </div>
  );
}
