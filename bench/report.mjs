// Renders a results object as the markdown tables BENCHMARKS.md quotes.
const fmt = (x) => (x === undefined || x === null ? "—" : typeof x === "number" ? (Number.isInteger(x) ? String(x) : x.toFixed(2)) : String(x));
const table = (head, rows) => [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.map(fmt).join(" | ")} |`)].join("\n");

export function renderMarkdown(r) {
  const out = [];
  const m = r.machine;
  out.push(`# Bench run ${r.startedAt} (${r.mode})`, "");
  out.push(`Machine: ${m.nproc} × ${m.cpu}, ${m.memTotalGiB} GiB RAM, load ${m.loadavg}; node ${m.node}, wrangler ${m.wrangler}, workerd ${m.workerd}; commit ${m.commit}${m.dirty ? " (+ uncommitted src changes)" : ""}.`, "");
  if (r.tree) out.push(`Measured: ${r.tree}.`, "");
  if (r.connection) out.push(r.connection, "");
  if (r.throughput) {
    const t = r.throughput;
    out.push(`## Opening throughput (${t.connections} connections, ${t.durationS} s, median of ${t.rounds.length} alternating rounds)`, "");
    out.push(
      table(
        ["", "req/s", "p50 ms", "p99 ms", "p99/p50", "ratio to ceiling (req/s)", "runtime CPU ms/req", "runtime CPU % of a core"],
        [
          ["bare D1 route (ceiling)", t.ceiling.rps, t.ceiling.p50, t.ceiling.p99, t.ceiling.p99 / t.ceiling.p50, 1, t.ceiling.cpuMsPerReq, t.ceiling.cpuUtil],
          ["same route behind the product's assets router", t.ceilingAssets.rps, t.ceilingAssets.p50, t.ceilingAssets.p99, t.ceilingAssets.p99 / t.ceilingAssets.p50, t.ceilingAssets.rps / t.ceiling.rps, t.ceilingAssets.cpuMsPerReq, t.ceilingAssets.cpuUtil],
          ["POST /api/cases/:id/open ×1", t.product.rps, t.product.p50, t.product.p99, t.p99OverP50, t.ratioToCeiling, t.product.cpuMsPerReq, t.product.cpuUtil],
        ],
      ),
      "",
      `Product / assets-router ceiling: ${t.ratioToAssetsCeiling}. Rounds (ceiling / product req/s): ${t.rounds.map((x) => `${x.ceiling.rps.toFixed(0)} / ${x.product.rps.toFixed(0)}`).join(", ")}; product non-2xx ${t.product.non2xx}, errors ${t.product.errors}.`,
      "",
      `Money invariant afterwards: ${t.invariant.ok ? "**holds**" : "**VIOLATED**"} — balances ≠ ledger sum: ${t.invariant.mismatched}, negative balances: ${t.invariant.negative}, openings ${t.invariant.openings} = open ledger rows ${t.invariant.open_entries}, each with exactly one opening (exceptions: ${t.invariant.entries_without_one_opening}; orphan openings: ${t.invariant.orphan_openings}), within 2xx responses ${t.invariant.minOpenings} … ${t.invariant.maxOpenings} (2xx + requests in flight when autocannon stopped).`,
      "",
    );
  }
  if (r.cost) {
    out.push("## Cost per operation (exact counts)", "");
    out.push(
      table(
        ["operation", "D1 round trips", "D1 statements", "rows read", "rows written", "DO calls", "USD per million ops"],
        r.cost.ops.map((o) => [o.op + (o.returnedCases !== undefined ? ` (returns ${o.returnedCases} cases)` : ""), o.d1RoundTrips, o.d1Statements, o.rowsRead, o.rowsWritten, o.doCalls, o.usdPerMillion]),
      ),
      "",
      "Priced as 1 Worker request + rows read + rows written + DO requests (CPU time and DO duration not included).",
      "",
    );
  }
  if (r.fanout) {
    for (const side of ["ceiling", "product"]) {
      for (const phase of r.fanout[side]) {
        const ceil = r.fanout.ceiling.find((c) => c.deflate === phase.deflate);
        out.push(`## Fan-out: ${side}, permessage-deflate ${phase.deflate ? "offered" : "off"} (negotiated: ${phase.negotiated})`, "");
        out.push(
          table(
            ["N", "last socket median ms", "max ms", "first socket ms", "HTTP response ms", "ratio to ceiling", "runtime RSS MiB", "KiB per socket", "frames received while connecting"],
            phase.steps.map((s) => {
              const c = ceil?.steps.find((x) => x.n === s.n);
              return [s.n, s.lastMedian, s.lastMax, s.firstMedian, s.httpMedian, c ? s.lastMedian / c.lastMedian : "—", s.rssMiB, s.kibPerSocket, s.framesWhileConnecting];
            }),
          ),
          "",
        );
        if (phase.error) out.push(`**Failed:** ${phase.error}`, "");
        if (phase.private) {
          const p = phase.private;
          out.push(`### Private latency (${p.opens ?? 0} opens, ${p.idleSockets} idle lobby sockets)`, "");
          if (p.error) out.push(`Failed: ${p.error}`, "");
          else
            out.push(
              table(
                ["", "p50 ms", "p95 ms", "p99 ms"],
                [
                  ["HTTP response", p.http.p50, p.http.p95, p.http.p99],
                  ["inventory:updated (from request start)", p.inventory.p50, p.inventory.p95, p.inventory.p99],
                  ["balance:updated (from request start)", p.balance.p50, p.balance.p95, p.balance.p99],
                  ["inventory:updated minus HTTP response", p.inventoryAfterHttp.p50, p.inventoryAfterHttp.p95, p.inventoryAfterHttp.p99],
                  ["balance:updated minus HTTP response", p.balanceAfterHttp.p50, p.balanceAfterHttp.p95, p.balanceAfterHttp.p99],
                ],
              ),
              "",
              `Event before the HTTP response in ${Math.round(p.beforeHttpShare * 100)}% of opens.`,
              "",
            );
        }
      }
    }
  }
  for (const n of r.notes ?? []) out.push(`Note: ${n}`, "");
  if (r.error) out.push("## Error", "", "```", r.error, "```", "");
  return out.join("\n");
}
