import { useState } from "preact/hooks";
import { api, describeError } from "../api";
import { useAction } from "../hooks";
import { formatCents } from "../money";
import { applyBalance, toast } from "../state";
import { Field } from "./field";

/** "Redeem code": a promo code's amount into the balance (once per account; the server says why not). */
export function RedeemCode({ compact = false }: { compact?: boolean }) {
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | undefined>(undefined);
  const { busy, run } = useAction();

  const submit = (event: Event) => {
    event.preventDefault();
    if (!code.trim()) return setError("Enter a code.");
    void run(
      true,
      async () => {
        const res = await api.redeem(code);
        applyBalance(res.balance, res.version);
        setCode("");
        setError(undefined);
        toast(`Redeemed ${res.code}: ${formatCents(res.amount)} added to your balance`, "success");
      },
      (err) => setError(describeError(err)),
    );
  };

  return (
    <form class={`inline-form redeem${compact ? "" : " panel"}`} onSubmit={submit} noValidate data-testid="redeem-code">
      <Field id="promo-code" label="Redeem code" error={error} hint={compact ? undefined : "Promo codes add money to your balance, once per account."}>
        <input id="promo-code" class="mono" autoComplete="off" spellcheck={false} value={code} placeholder="WELCOME" onInput={(e) => setCode(e.currentTarget.value)} />
      </Field>
      <button type="submit" class="btn" disabled={busy}>
        {busy ? "Redeeming…" : "Redeem"}
      </button>
    </form>
  );
}
