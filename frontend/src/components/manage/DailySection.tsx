import BarChart from "../BarChart";
import type { ProjectStats } from "../../types";
import { shortDate } from "./format";

// Annotations submitted per day over the chosen period, as a bar chart.

export default function DailySection({ stats, days }: { stats: ProjectStats; days: number }) {
  return (
    <section aria-labelledby="daily-title" className="card manage-section">
      <h2 id="daily-title">Submitted per day</h2>
      <BarChart
        title={`Annotations submitted per day, last ${stats.days ?? days} days`}
        data={stats.daily.map((d) => ({ label: shortDate(d.date), value: d.submitted }))}
        xLabel="Day"
        yLabel="Submitted"
      />
    </section>
  );
}
