import { money, day } from '../format';

const W = 560;
const H = 180;
const PAD = { left: 56, right: 12, top: 12, bottom: 28 };

/** Number() only for pixel positions: amounts are shown from their strings. */
const num = (s: string) => Number(s);

/** The settled balance after each movement, oldest to newest, as a step line. */
export function BalanceChart({ points, code }: { points: { at: string; balance: string }[]; code: string }) {
  if (points.length === 0) return <p className="empty">No movements yet.</p>;
  const xs = points.map((p) => new Date(p.at).getTime());
  const ys = points.map((p) => num(p.balance));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, Date.now());
  const yMax = Math.max(0, ...ys);
  const yMin = Math.min(0, ...ys);
  const sx = (t: number) => PAD.left + ((t - x0) / Math.max(1, x1 - x0)) * (W - PAD.left - PAD.right);
  const sy = (v: number) =>
    PAD.top + (1 - (v - yMin) / Math.max(1e-9, yMax - yMin)) * (H - PAD.top - PAD.bottom);
  let d = `M${sx(xs[0]!)},${sy(0)} L${sx(xs[0]!)},${sy(ys[0]!)}`;
  for (let i = 1; i < points.length; i++)
    d += ` L${sx(xs[i]!)},${sy(ys[i - 1]!)} L${sx(xs[i]!)},${sy(ys[i]!)}`;
  d += ` L${sx(x1)},${sy(ys[ys.length - 1]!)}`;
  const last = points[points.length - 1]!;
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      className="chart"
      role="img"
      aria-label={`Settled ${code} balance over time`}
    >
      <line x1={PAD.left} x2={W - PAD.right} y1={sy(0)} y2={sy(0)} className="axis" />
      <text x={PAD.left - 6} y={sy(yMax) + 4} className="tick" textAnchor="end">
        {money(String(yMax))}
      </text>
      {yMin < 0 && (
        <text x={PAD.left - 6} y={sy(yMin) + 4} className="tick" textAnchor="end">
          {money(String(yMin))}
        </text>
      )}
      <text x={PAD.left - 6} y={sy(0) + 4} className="tick" textAnchor="end">
        0
      </text>
      <path d={d} className="line" />
      <text x={PAD.left} y={H - 8} className="tick">
        {day(new Date(x0).toISOString())}
      </text>
      <text x={W - PAD.right} y={H - 8} className="tick" textAnchor="end">
        now: {money(last.balance, code)}
      </text>
    </svg>
  );
}

/** Credit that expires unused if nothing more is consumed (creditForecast.expiring), one bar per date. */
export function ExpiringChart({
  items,
  code,
}: {
  items: { amount: string; at: string; grant: { name?: string | null } }[];
  code: string;
}) {
  if (items.length === 0)
    return <p className="empty">Nothing expires: no unused credit has an expiry date.</p>;
  const shown = items.slice(0, 8);
  const max = Math.max(...shown.map((i) => num(i.amount)), 1e-9);
  const row = 26;
  const h = shown.length * row + 8;
  return (
    <svg viewBox={`0 0 ${W} ${h}`} className="chart" role="img" aria-label={`${code} credit about to expire`}>
      {shown.map((i, k) => {
        const w = (num(i.amount) / max) * (W - 380);
        return (
          <g key={k} transform={`translate(0, ${k * row + 4})`}>
            <text x={0} y={15} className="tick">
              {day(i.at)}
            </text>
            <rect x={110} y={2} width={Math.max(2, w)} height={18} rx={3} className="bar" />
            <text x={118 + Math.max(2, w)} y={15} className="tick">
              {money(i.amount, code)} {i.grant.name ? `· ${i.grant.name}` : ''}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
