import { useEffect, useRef, useState } from "preact/hooks";
import { verifyUpgrade, type UpgradeVerifyResult } from "../../fairness/verify";
import { formatChance } from "../../features/upgrader/rules";
import { api, describeError } from "../api";
import { formatCents } from "../money";
import { toastError } from "../state";
import type { UpgradeProof, UpgradeRecord } from "../types";
import { Field } from "./field";
import { SeedLine, VerdictBox } from "./verdict";

const FIELDS = ["serverSeed", "serverSeedHash", "clientSeed", "nonce", "stakedValue", "targetValue", "houseEdge"] as const;
type Form = Record<(typeof FIELDS)[number], string>;
const EMPTY: Form = { serverSeed: "", serverSeedHash: "", clientSeed: "", nonce: "", stakedValue: "", targetValue: "", houseEdge: "" };
const LABELS: Record<keyof Form, string> = {
  serverSeed: "Server seed (revealed)",
  serverSeedHash: "Server seed hash",
  clientSeed: "Client seed",
  nonce: "Nonce",
  stakedValue: "Staked value (cents)",
  targetValue: "Target value (cents)",
  houseEdge: "House edge (basis points)",
};

function Verdict({ result, proof }: { result: UpgradeVerifyResult; proof: UpgradeProof | null }) {
  const said = proof?.upgrade;
  const same = (ok: boolean) => (said ? (ok ? ", same" : ", different") : "");
  const fair = result.seedMatchesHash && (!said || (said.chance === result.chance && said.roll === result.roll && said.won === result.won));
  return (
    <VerdictBox fair={fair} what="this upgrade" testId="upgrade-verdict">
      <SeedLine matches={result.seedMatchesHash} />
      <li>
        Chance: {formatChance(result.chance)}
        {said && ` (server said ${formatChance(said.chance)}${same(said.chance === result.chance)})`}
      </li>
      <li>
        Roll: <span class="mono">{result.roll}</span>
        {said && ` (server said ${said.roll}${same(said.roll === result.roll)})`}
      </li>
      <li>
        {result.won ? "Won" : "Lost"}
        {said && (said.won === result.won ? ", as recorded" : `, but it was recorded as ${said.won ? "won" : "lost"}`)}
      </li>
    </VerdictBox>
  );
}

/** Recomputes one upgrade in the browser with the shared verifier. */
export function UpgradeVerifier() {
  const [upgrades, setUpgrades] = useState<UpgradeRecord[]>([]);
  const [chosen, setChosen] = useState("");
  const [proof, setProof] = useState<UpgradeProof | null>(null);
  const [form, setFormState] = useState<Form>(EMPTY);
  // As in the opening verifier: a submit right after typing must see what was typed.
  const latest = useRef<Form>(EMPTY);
  const setForm = (next: Form) => {
    latest.current = next;
    setFormState(next);
  };
  const [outcome, setOutcome] = useState<{ result: UpgradeVerifyResult; proof: UpgradeProof | null } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    api.upgrades().then((page) => setUpgrades(page.upgrades), toastError);
  }, []);

  const load = async (id: string) => {
    setChosen(id);
    setOutcome(null);
    setProblem(null);
    setProof(null);
    if (!id) return;
    try {
      const p = await api.upgradeProof(id);
      setProof(p);
      const u = p.upgrade;
      setForm({
        serverSeed: p.seed.serverSeed ?? "",
        serverSeedHash: p.seed.hash,
        clientSeed: u.clientSeed,
        nonce: String(u.nonce),
        stakedValue: String(u.stakedValue),
        targetValue: String(u.target.value),
        houseEdge: String(u.houseEdge),
      });
      if (!p.seed.revealed) setProblem("This upgrade used your active server seed. Rotate the seed above to reveal it, then verify.");
    } catch (err) {
      setProblem(describeError(err));
    }
  };

  const verify = async (event: Event) => {
    event.preventDefault();
    setOutcome(null);
    setProblem(null);
    const f = latest.current;
    const [nonce, stakedValue, targetValue, houseEdge] = [f.nonce, f.stakedValue, f.targetValue, f.houseEdge].map(Number) as [number, number, number, number];
    if (!f.serverSeed) return setProblem("Enter the revealed server seed.");
    if ([nonce, stakedValue, houseEdge].some((n) => !Number.isSafeInteger(n) || n < 0) || !Number.isSafeInteger(targetValue) || targetValue <= 0) {
      return setProblem("Nonce, values and edge must be whole numbers (the target value above 0).");
    }
    try {
      const result = await verifyUpgrade({ serverSeed: f.serverSeed, serverSeedHash: f.serverSeedHash, clientSeed: f.clientSeed, nonce, stakedValue, targetValue, houseEdgeBasisPoints: houseEdge });
      setOutcome({ result, proof });
    } catch (err) {
      setProblem(describeError(err));
    }
  };

  const set = (key: keyof Form) => (e: Event) => setForm({ ...latest.current, [key]: (e.currentTarget as HTMLInputElement).value });

  return (
    <div class="panel">
      <h2>Verify an upgrade</h2>
      <p class="muted small">
        chance = floor(staked × (10000 − edge) / target) basis points; roll = HMAC-SHA256(serverSeed, "clientSeed:nonce") mapped onto 0…999,999; won when roll &lt; chance × 100.
      </p>
      <Field id="verify-upgrade" label="Upgrade">
        <select id="verify-upgrade" value={chosen} onChange={(e) => load(e.currentTarget.value)}>
          <option value="">Choose one of your upgrades…</option>
          {upgrades.map((u) => (
            <option key={u.id} value={u.id}>
              {new Date(u.createdAt).toLocaleString()} — {u.target.name} ({formatCents(u.target.value)}) at {formatChance(u.chance)}: {u.won ? "won" : "lost"}
            </option>
          ))}
        </select>
      </Field>
      <form onSubmit={verify} class="verify-form">
        {FIELDS.map((key) => (
          <Field key={key} id={`u-${key}`} label={LABELS[key]}>
            <input id={`u-${key}`} class="mono" value={form[key]} onInput={set(key)} />
          </Field>
        ))}
        <button type="submit" class="btn btn-primary">Verify the upgrade in my browser</button>
      </form>
      {problem && <p class="form-error" role="alert">{problem}</p>}
      {outcome && <Verdict result={outcome.result} proof={outcome.proof} />}
    </div>
  );
}
