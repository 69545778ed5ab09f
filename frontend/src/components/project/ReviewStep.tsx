// The last step of the "New project" form: every value, with a way back to its step.
import type { ProjectForm, StepId } from "../../projectForm";

interface Props {
  form: ProjectForm;
  checklistLabel: string;
  onEdit: (step: StepId) => void;
}

export default function ReviewStep({ form, checklistLabel, onEdit }: Props) {
  const rows: { step: StepId; label: string; value: string }[] = [
    { step: "name", label: "Name", value: form.name.trim() },
    { step: "name", label: "Description", value: form.description.trim() || "—" },
    { step: "media", label: "Media type", value: form.media_type },
    { step: "checklist", label: "Checklist", value: checklistLabel },
    { step: "work", label: "Overlap k", value: `${form.overlap} annotator${form.overlap === "1" ? "" : "s"} per item` },
    { step: "work", label: "Lease length", value: `${form.lease_minutes} minutes` },
    { step: "work", label: "Pair tasks", value: form.pair_tasks ? "on" : "off" },
    {
      step: "instructions",
      label: "Instructions",
      value: form.instructions.trim() ? `${form.instructions.trim().split(/\s+/).length} words` : "none",
    },
  ];
  return (
    <dl className="review-values" data-testid="review-values">
      {rows.map((row) => (
        <div key={row.label}>
          <dt>{row.label}</dt>
          <dd>
            <span>{row.value}</span>{" "}
            <button type="button" className="link" onClick={() => onEdit(row.step)} aria-label={`Change ${row.label.toLowerCase()}`}>
              Change
            </button>
          </dd>
        </div>
      ))}
    </dl>
  );
}
