import { diffLines } from "diff";
import { useMemo } from "react";

type Line = { text: string; change: "same" | "removed" | "added" | "blank" };

/** Two documents side by side, line against line: removed lines marked on the left, added ones
 * on the right, blank filler keeping the unchanged lines level. */
export function SideBySide({ before, after, labels }: { before: string; after: string; labels: [string, string] }) {
  const [left, right] = useMemo(() => {
    const left: Line[] = [];
    const right: Line[] = [];
    const parts = diffLines(before, after);
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const lines = part.value.replace(/\n$/, "").split("\n");
      if (part.removed) {
        const next = parts[i + 1];
        const added = next?.added ? next.value.replace(/\n$/, "").split("\n") : [];
        if (next?.added) i++;
        const height = Math.max(lines.length, added.length);
        for (let j = 0; j < height; j++) {
          left.push(j < lines.length ? { text: lines[j]!, change: "removed" } : { text: "", change: "blank" });
          right.push(j < added.length ? { text: added[j]!, change: "added" } : { text: "", change: "blank" });
        }
      } else if (part.added) {
        for (const text of lines) {
          left.push({ text: "", change: "blank" });
          right.push({ text, change: "added" });
        }
      } else {
        for (const text of lines) {
          left.push({ text, change: "same" });
          right.push({ text, change: "same" });
        }
      }
    }
    return [left, right];
  }, [before, after]);
  return (
    <div className="grid side-by-side">
      {([left, right] as const).map((lines, column) => (
        <figure className="card" key={column} aria-label={labels[column]}>
          <figcaption>{labels[column]}</figcaption>
          <pre className="json diff">
            {lines.map((line, i) => (
              <span key={i} className={`line ${line.change}`}>
                {line.change === "removed" && <span className="visually-hidden">removed: </span>}
                {line.change === "added" && <span className="visually-hidden">added: </span>}
                {line.text || " "}
                {"\n"}
              </span>
            ))}
          </pre>
        </figure>
      ))}
    </div>
  );
}
