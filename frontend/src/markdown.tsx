// A small, safe Markdown renderer for instructions: headings, paragraphs, bullet and numbered
// lists, **bold**, *italic*, `code` and [links](https://…) (http, https and mailto only). It
// builds React elements, never HTML strings, so nothing in the text can run or inject markup.
import type { ReactNode } from "react";

export type Block =
  | { kind: "heading"; level: 1 | 2 | 3; text: string }
  | { kind: "paragraph"; text: string }
  | { kind: "list"; ordered: boolean; items: string[] };

const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/;
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/;

/** The blocks of a Markdown text (blank lines separate paragraphs; a list ends at a non-item line). */
export function parseBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  let paragraph: string[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;
  const flush = () => {
    if (paragraph.length) blocks.push({ kind: "paragraph", text: paragraph.join(" ") });
    paragraph = [];
    if (list) blocks.push({ kind: "list", ...list });
    list = null;
  };
  for (const line of (text ?? "").replace(/\r\n?/g, "\n").split("\n")) {
    const heading = HEADING.exec(line);
    const bullet = BULLET.exec(line);
    const numbered = bullet ? null : NUMBERED.exec(line);
    if (!line.trim()) {
      flush();
    } else if (heading) {
      flush();
      blocks.push({ kind: "heading", level: Math.min(heading[1].length, 3) as 1 | 2 | 3, text: heading[2] });
    } else if (bullet || numbered) {
      const ordered = Boolean(numbered);
      if (paragraph.length || (list && list.ordered !== ordered)) flush();
      if (!list) list = { ordered, items: [] };
      list.items.push((bullet ?? numbered)![1]);
    } else if (list && /^\s{2,}\S/.test(line)) {
      list.items[list.items.length - 1] += ` ${line.trim()}`; // a continued item
    } else {
      if (list) flush();
      paragraph.push(line.trim());
    }
  }
  flush();
  return blocks;
}

const INLINE = /(\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\))/;
const SAFE_URL = /^(https?:\/\/|mailto:)/i;

/** Inline Markdown of one block as React nodes. */
export function inline(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  let rest = text;
  let key = 0;
  while (rest) {
    const match = INLINE.exec(rest);
    if (!match) {
      out.push(rest);
      break;
    }
    if (match.index) out.push(rest.slice(0, match.index));
    const [whole, , bold1, bold2, em1, em2, code, label, url] = match;
    if (bold1 ?? bold2) out.push(<strong key={key++}>{inline(bold1 ?? bold2)}</strong>);
    else if (em1 ?? em2) out.push(<em key={key++}>{inline(em1 ?? em2)}</em>);
    else if (code) out.push(<code key={key++}>{code}</code>);
    else if (label && SAFE_URL.test(url))
      out.push(
        <a key={key++} href={url} target="_blank" rel="noopener noreferrer">
          {inline(label)}
        </a>,
      );
    else out.push(whole);
    rest = rest.slice(match.index + whole.length);
  }
  return out;
}

/** Markdown text as elements; headings start at `headingLevel` (h3 by default, inside a page's h2). */
export function Markdown({ text, headingLevel = 3 }: { text: string; headingLevel?: 2 | 3 | 4 }) {
  return (
    <>
      {parseBlocks(text).map((block, i) => {
        if (block.kind === "heading") {
          const Tag = `h${Math.min(headingLevel + block.level - 1, 6)}` as "h3";
          return <Tag key={i}>{inline(block.text)}</Tag>;
        }
        if (block.kind === "list") {
          const Tag = block.ordered ? "ol" : "ul";
          return (
            <Tag key={i}>
              {block.items.map((item, j) => (
                <li key={j}>{inline(item)}</li>
              ))}
            </Tag>
          );
        }
        return <p key={i}>{inline(block.text)}</p>;
      })}
    </>
  );
}
