import type { ReactNode } from "react";

// A card section whose body opens and closes from its heading (a button with aria-expanded; the
// panel is hidden, not removed, while closed). `id` names both: `${id}-title` and `${id}-panel`.

interface Props {
  id: string;
  title: ReactNode;
  open: boolean;
  onToggle: () => void;
  children: ReactNode;
}

export default function DisclosureSection({ id, title, open, onToggle, children }: Props) {
  return (
    <section aria-labelledby={`${id}-title`} className="card manage-section">
      <h2 id={`${id}-title`} className="disclosure-heading">
        <button type="button" className="disclosure" aria-expanded={open} aria-controls={`${id}-panel`} onClick={onToggle}>
          <span aria-hidden="true" className="disclosure-arrow">
            {open ? "▾" : "▸"}
          </span>{" "}
          {title}
        </button>
      </h2>
      <div id={`${id}-panel`} hidden={!open}>
        {children}
      </div>
    </section>
  );
}
