// A checklist at a glance: its dimensions, each sub-dimension's options (best first) and
// questions, folded per sub-dimension so a 59-question checklist stays readable.
import type { ChecklistDefinition } from "../../types";

interface Props {
  definition: ChecklistDefinition;
  /** The heading of the preview, e.g. "lab v2 (new)". */
  label: string;
  questionCount: number;
  subDimensionCount: number;
}

export default function ChecklistPreview({ definition, label, questionCount, subDimensionCount }: Props) {
  return (
    <section className="checklist-preview card" aria-label={`Preview of ${label}`} data-testid="checklist-preview">
      <h3>
        {definition.title} <span className="muted">({label})</span>
      </h3>
      <p className="muted">
        {definition.media_type} · {definition.dimensions.length} dimension{definition.dimensions.length === 1 ? "" : "s"},{" "}
        {subDimensionCount} sub-dimension{subDimensionCount === 1 ? "" : "s"}, {questionCount} question
        {questionCount === 1 ? "" : "s"}
      </p>
      {definition.description && <p>{definition.description}</p>}
      {definition.dimensions.map((dimension) => (
        <div key={dimension.key} className="preview-dimension">
          <h4>
            {dimension.title} <code className="muted">{dimension.key}</code>
          </h4>
          <ul className="preview-subs">
            {dimension.sub_dimensions.map((sub) => (
              <li key={sub.key}>
                <details>
                  <summary>
                    {sub.title} <code className="muted">{sub.key}</code>{" "}
                    <span className="muted">
                      · {sub.options.length} options, {sub.questions.length} question{sub.questions.length === 1 ? "" : "s"}
                      {sub.gated_by ? ` · asked when ${sub.gated_by} is yes` : ""}
                    </span>
                  </summary>
                  <div className="preview-sub-body">
                    <p className="muted">Options, best first:</p>
                    <ol className="preview-options">
                      {sub.options.map((option) => (
                        <li key={option.code}>
                          {option.label} <span className="muted">(code {option.code}{option.not_present ? ", not present" : ""})</span>
                        </li>
                      ))}
                    </ol>
                    <p className="muted">Questions:</p>
                    <ul className="preview-questions">
                      {sub.questions.map((question) => (
                        <li key={question.key}>
                          {question.text} <code className="muted">{question.key}</code>
                          <span className="muted">
                            {" "}
                            · yes from code {question.yes_if_at_least}
                            {question.presence ? " · presence" : ""}
                          </span>
                        </li>
                      ))}
                    </ul>
                  </div>
                </details>
              </li>
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}
