// The project's and the checklist's instructions (Markdown), folded away until asked for (`i` or the button).
import { Markdown } from "../../markdown";
import { useT } from "../../i18n";
import useKeyLabel from "./useKeyLabel";

interface Props {
  /** The project's instructions, then the checklist's; empty ones are left out. */
  texts: (string | undefined)[];
  shown: boolean;
  onToggle: () => void;
}

export default function Instructions({ texts, shown, onToggle }: Props) {
  const t = useT();
  const label = useKeyLabel();
  const paragraphs = texts.filter(Boolean);
  if (!paragraphs.length) return null;
  return (
    <div className="instructions">
      <button type="button" className="link" aria-expanded={shown} onClick={onToggle}>
        {shown ? t("annotate.hideInstructions") : t("annotate.showInstructions")} <kbd>{label("instructions")}</kbd>
      </button>
      {shown && (
        <div className="instructions-text" data-testid="instructions">
          {paragraphs.map((text, i) => (
            <Markdown key={i} text={text!} />
          ))}
        </div>
      )}
    </div>
  );
}
