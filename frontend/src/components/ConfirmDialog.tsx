import { useEffect, useRef, useState, type ReactNode } from "react";

// A modal question with a confirm and a cancel button: the cancel button has the focus first (a
// stray Enter changes nothing), Esc cancels, and focus goes back where it was when it closes.

export default function ConfirmDialog({
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<void> | void;
  onCancel: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const el = dialog.current;
    const before = document.activeElement as HTMLElement | null;
    if (el && !el.open) {
      if (el.showModal) el.showModal();
      else el.setAttribute("open", "");
    }
    cancel.current?.focus();
    return () => {
      el?.close?.();
      before?.focus?.();
    };
  }, []);

  const confirm = async () => {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      aria-labelledby="confirm-title"
      aria-describedby="confirm-body"
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <h2 id="confirm-title">{title}</h2>
      <div id="confirm-body">{children}</div>
      <div className="actions">
        <button type="button" className="danger" onClick={confirm} disabled={busy}>
          {busy ? "Working…" : confirmLabel}
        </button>
        <button type="button" ref={cancel} onClick={onCancel}>
          Cancel <kbd>Esc</kbd>
        </button>
      </div>
    </dialog>
  );
}
