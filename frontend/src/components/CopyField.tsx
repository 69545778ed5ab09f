import { useState } from "react";

// A read-only secret (a token's key, an invitation link) shown once, with a button that copies it.

export default function CopyField({ id, label, value }: { id: string; label: string; value: string }) {
  const [copied, setCopied] = useState("");

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("Copied.");
    } catch {
      const input = document.getElementById(id) as HTMLInputElement | null;
      input?.focus();
      input?.select();
      setCopied("Selected: press Ctrl+C (⌘C) to copy.");
    }
  };

  return (
    <div className="copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        <input id={id} readOnly value={value} onFocus={(e) => e.currentTarget.select()} spellCheck={false} />
        <button type="button" onClick={copy}>
          Copy
        </button>
      </div>
      <span role="status" className="muted">
        {copied}
      </span>
    </div>
  );
}
