import { useMemo } from "react";
import type { ModelAgreement } from "../../types";
import { count, fixed2, percent } from "./format";

// Model vs human: how often the project's latest model (the one that pre-fills) gives the answer
// people gave, per question.

/** How the project's latest model agrees with people, per question: least accurate first. */
function ModelAgreementTable({ agreement }: { agreement: ModelAgreement }) {
  const rows = useMemo(
    () =>
      agreement.questions
        .filter((q) => q.n > 0)
        .sort((a, b) => {
          // Questions without an accuracy go last.
          if (a.accuracy == null || b.accuracy == null) return a.accuracy == null ? (b.accuracy == null ? 0 : 1) : -1;
          return a.accuracy - b.accuracy;
        }),
    [agreement],
  );
  if (!agreement.model_name) return null;
  if (!rows.length)
    return <p className="muted">No submitted answers to compare with {agreement.model_name}&apos;s predictions yet.</p>;
  return (
    <div className="table-scroll tall" tabIndex={0} role="region" aria-label="Model against people per question (scrolls)">
      <table className="model-agreement-table">
        <caption className="visually-hidden">
          Model {agreement.model_name} against people, per question, least accurate first
        </caption>
        <thead>
          <tr>
            <th scope="col">Question</th>
            <th scope="col" className="num">
              Answers
            </th>
            <th scope="col" className="num">
              Accuracy
            </th>
            <th scope="col" className="num">
              Brier
            </th>
            <th scope="col" className="num">
              P(human answer)
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((q) => (
            <tr key={q.key} data-question={q.key}>
              <td>{q.text}</td>
              <td className="num">{count(q.n)}</td>
              <td className="num">{percent(q.accuracy)}</td>
              <td className="num">{fixed2(q.brier)}</td>
              <td className="num">{percent(q.mean_p_human)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export default function ModelAgreementSection({ agreement }: { agreement: ModelAgreement }) {
  return (
    <section aria-labelledby="model-title" className="card manage-section">
      <h2 id="model-title">Model vs human</h2>
      <p className="muted">
        {agreement.model_name ? (
          <>
            How often <strong>{agreement.model_name}</strong> (the latest model used here) gives
            the answer people gave: accuracy of P(yes) ≥ 50%, Brier score (0 is perfect) and the mean
            probability it gave to the people&apos;s answer. Least accurate first.
          </>
        ) : (
          "Pre-fill the project with a model to compare its guesses with people's answers."
        )}
      </p>
      <ModelAgreementTable agreement={agreement} />
    </section>
  );
}
