import type { ComponentType } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "../api";
import { toastError } from "../state";
import { Field } from "./field";

/** One input of a verifier's form: its key, the element id (tests and labels use it) and its label. */
export interface VerifierField<K extends string> {
  key: K;
  id: string;
  label: string;
}

/**
 * What differs between verifying an opening and an upgrade: the list to choose from, the proof
 * that fills the form, and the recomputation with the shared verifier (src/fairness/verify.ts).
 * Everything else — choose, fill, edit, submit, the problem line — is {@link ProofVerifier}'s.
 */
export interface VerifierGame<Choice, Proof, Result, K extends string> {
  title: string;
  explanation: string;
  select: { id: string; label: string; prompt: string };
  choices(): Promise<Choice[]>;
  choiceId(choice: Choice): string;
  choiceText(choice: Choice): string;
  proof(id: string): Promise<Proof>;
  /** The form filled from a proof; `revealed: false` when its server seed is still the active one. */
  fill(proof: Proof): { form: Record<K, string>; revealed: boolean };
  unrevealed: string;
  /** Rows of fields; a row of two sits side by side. */
  rows: readonly (readonly VerifierField<K>[])[];
  submit: string;
  /** Recomputes from the form, or says what is wrong with it. */
  check(form: Record<K, string>): Promise<Result | { problem: string }>;
  Verdict: ComponentType<{ result: Result; proof: Proof | null }>;
}

/** The two fields every proof fills from its seed: the revealed server seed (empty until then) and its hash. */
export const seedFields = (seed: { serverSeed: string | null; hash: string }) => ({ serverSeed: seed.serverSeed ?? "", serverSeedHash: seed.hash });

const isProblem = (value: unknown): value is { problem: string } => typeof value === "object" && value !== null && "problem" in value;

/** Recomputes one of the player's games in the browser; what the game is comes from `game`. */
export function ProofVerifier<Choice, Proof, Result, K extends string>({ game, empty }: { game: VerifierGame<Choice, Proof, Result, K>; empty: Record<K, string> }) {
  const [choices, setChoices] = useState<Choice[]>([]);
  const [chosen, setChosen] = useState("");
  const [proof, setProof] = useState<Proof | null>(null);
  const [form, setFormState] = useState<Record<K, string>>(empty);
  // Preact renders state changes asynchronously; a submit right after typing must still see
  // what was typed, so the handlers read the form from this ref, updated synchronously.
  const latest = useRef<Record<K, string>>(empty);
  const setForm = (next: Record<K, string>) => {
    latest.current = next;
    setFormState(next);
  };
  const [outcome, setOutcome] = useState<{ result: Result; proof: Proof | null } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    game.choices().then(setChoices, toastError);
  }, []);

  const load = async (id: string) => {
    setChosen(id);
    setOutcome(null);
    setProblem(null);
    setProof(null);
    if (!id) return;
    try {
      const p = await game.proof(id);
      setProof(p);
      const { form: filled, revealed } = game.fill(p);
      setForm(filled);
      if (!revealed) setProblem(game.unrevealed);
    } catch (err) {
      setProblem(describeError(err));
    }
  };

  const verify = async (event: Event) => {
    event.preventDefault();
    setOutcome(null);
    setProblem(null);
    try {
      const result = await game.check(latest.current);
      if (isProblem(result)) setProblem(result.problem);
      else setOutcome({ result, proof });
    } catch (err) {
      setProblem(describeError(err));
    }
  };

  const set = (key: K) => (e: Event) => setForm({ ...latest.current, [key]: (e.currentTarget as HTMLInputElement).value });
  const field = ({ key, id, label }: VerifierField<K>) => (
    <Field key={key} id={id} label={label}>
      <input id={id} class="mono" value={form[key]} onInput={set(key)} />
    </Field>
  );
  const { Verdict } = game;

  return (
    <div class="panel">
      <h2>{game.title}</h2>
      <p class="muted small">{game.explanation}</p>
      <Field id={game.select.id} label={game.select.label}>
        <select id={game.select.id} value={chosen} onChange={(e) => load(e.currentTarget.value)}>
          <option value="">{game.select.prompt}</option>
          {choices.map((c) => (
            <option key={game.choiceId(c)} value={game.choiceId(c)}>
              {game.choiceText(c)}
            </option>
          ))}
        </select>
      </Field>
      <form onSubmit={verify} class="verify-form">
        {game.rows.map((row) => (row.length > 1 ? <div class="row" key={row[0]?.key}>{row.map(field)}</div> : row.map(field)))}
        <button type="submit" class="btn btn-primary">
          {game.submit}
        </button>
      </form>
      {problem && (
        <p class="form-error" role="alert">
          {problem}
        </p>
      )}
      {outcome && <Verdict result={outcome.result} proof={outcome.proof} />}
    </div>
  );
}
