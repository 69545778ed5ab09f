// The optional comment that goes with the submit to the reviewers; Esc in it returns to the keys.

export default function CommentField({ value, onChange }: { value: string; onChange: (comment: string) => void }) {
  return (
    <label className="comment">
      <span className="muted">Comment (optional)</span>
      <textarea
        rows={1}
        value={value}
        maxLength={5000}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") (e.target as HTMLTextAreaElement).blur();
        }}
        placeholder="Anything a reviewer should know (Esc returns to the keys)"
        data-testid="comment"
      />
    </label>
  );
}
