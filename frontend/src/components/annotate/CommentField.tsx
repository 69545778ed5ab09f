import { useT } from "../../i18n";

// The optional comment that goes with the submit to the reviewers; Esc in it returns to the keys.

export default function CommentField({ value, onChange }: { value: string; onChange: (comment: string) => void }) {
  const t = useT();
  return (
    <label className="comment">
      <span className="muted">{t("annotate.comment")}</span>
      <textarea
        rows={1}
        value={value}
        maxLength={5000}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") (e.target as HTMLTextAreaElement).blur();
        }}
        placeholder={t("annotate.commentPlaceholder")}
        data-testid="comment"
      />
    </label>
  );
}
