import { useEffect, useRef, type ReactNode } from "react";

// A modal <dialog>: opens on mount, puts the focus on the element marked data-autofocus (else on
// the dialog's heading), closes on Escape, and gives the focus back to what had it before.
// jsdom has no showModal, so the dialog is then just opened.

interface Props {
  labelledBy: string;
  onClose: () => void;
  children: ReactNode;
  className?: string;
  /** Where the focus goes on close when the element that had it is gone. */
  returnFocus?: () => HTMLElement | null | undefined;
  testId?: string;
}

export default function Modal({ labelledBy, onClose, children, className, returnFocus, testId }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  const fallback = useRef(returnFocus);
  fallback.current = returnFocus;

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!el.open) {
      if (typeof el.showModal === "function") el.showModal();
      else el.setAttribute("open", "");
    }
    const target = el.querySelector<HTMLElement>("[data-autofocus]") ?? document.getElementById(labelledBy);
    target?.focus();
    return () => {
      if (typeof el.close === "function" && el.open) el.close();
      else el.removeAttribute("open");
      const back = opener && opener !== document.body && opener.isConnected ? opener : fallback.current?.();
      back?.focus();
    };
  }, [labelledBy]);

  return (
    <dialog
      ref={ref}
      className={className}
      aria-labelledby={labelledBy}
      aria-modal="true"
      data-testid={testId}
      onCancel={(e) => {
        // Escape in a browser: close through React state, not behind its back.
        e.preventDefault();
        close.current();
      }}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.preventDefault();
          e.stopPropagation();
          close.current();
        }
      }}
    >
      {children}
    </dialog>
  );
}
