import { useEffect, useMemo, useRef, useState } from "react";
import type { Doc } from "../model";
import { parseText, TextMap, toText, type Format, type Step } from "../documentText";

export type TextProblem = { path: string; message: string; severity: "error" | "warning" };
/** The keys a step of ``type`` may have (``null``: the trigger's), and whether each belongs in
 * the step's ``config`` or on the step itself. */
export type KeysFor = (type: string | null) => { key: string; inConfig: boolean }[];

const NAMES: Record<Format, string> = { json: "JSON", yaml: "YAML" };

/** The draft as JSON or YAML, editable: applied as soon as it parses, so switching back to the
 * canvas shows exactly this document. The server's problems are shown at their lines; the keys
 * the step under the caret may still have are offered from its type's JSON Schema. */
export function TextView({ doc, format, problems, keysFor, onApply }: {
  doc: Doc;
  format: Format;
  problems: TextProblem[];
  keysFor: KeysFor;
  onApply: (doc: unknown) => void;
}) {
  const shown = useMemo(() => toText(doc, format), [doc, format]);
  const [text, setText] = useState(shown);
  const [last, setLast] = useState(shown);
  const [error, setError] = useState<{ message: string; line: number | null } | null>(null);
  const [caret, setCaret] = useState<number | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const keys = useRef<HTMLDivElement>(null);
  const selectNext = useRef<[number, number] | null>(null);
  if (shown !== last) {
    // The document changed elsewhere (undo, a form): show it, unless a half-typed text would be lost.
    setLast(shown);
    if (!error) setText(shown);
  }
  const map = useMemo(() => new TextMap(text), [text]);

  const change = (next: string) => {
    setText(next);
    const parsed = parseText(next, format);
    if (parsed.error) {
      setError(parsed.error);
      return;
    }
    setError(null);
    setLast(toText(parsed.value, format));
    onApply(parsed.value);
  };

  // A key inserted by the completion: select its value once the new text is in the textarea.
  useEffect(() => {
    const range = selectNext.current;
    if (!range || !area.current) return;
    selectNext.current = null;
    area.current.focus();
    area.current.setSelectionRange(range[0], range[1]);
    setCaret(range[0]);
  }, [text]);

  const placed = useMemo(
    () => problems.map((p) => ({ ...p, at: map.locate(p.path) })).sort((a, b) => (a.at?.line ?? 0) - (b.at?.line ?? 0)),
    [problems, map],
  );
  const marked = useMemo(() => {
    const lines = new Map<number, "error" | "warning">();
    for (const p of placed) if (p.at && lines.get(p.at.line) !== "error") lines.set(p.at.line, p.severity);
    if (error?.line) lines.set(error.line, "error");
    return lines;
  }, [placed, error]);
  const lineCount = text.split("\n").length;

  const jump = (at: { line: number; start: number; end: number }) => {
    const box = area.current;
    if (!box) return;
    box.focus();
    box.setSelectionRange(at.start, at.end);
    const height = parseFloat(getComputedStyle(box).lineHeight) || 18;
    box.scrollTop = Math.max(0, (at.line - 4) * height);
    setCaret(at.start);
  };

  const step = caret === null ? null : map.stepAt(caret);
  const offered = step ? keysFor(step.type).filter((k) => !step.keys.has(k.key)) : [];
  const insert = (s: Step, key: string, inConfig: boolean) => {
    const { text: next, select } = map.insertKey(inConfig && s.config ? s.config : s.node, key, format);
    selectNext.current = select;
    change(next);
  };

  const id = `builder-${format}`;
  return (
    <div className="text-view">
      <label htmlFor={id}>Definition ({NAMES[format]})</label>
      <div className="code-editor">
        <div className="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lineCount }, (_, i) => (
            <span key={i} className={marked.get(i + 1) ?? undefined}>{i + 1}</span>
          ))}
        </div>
        <textarea
          id={id}
          ref={area}
          className="code"
          spellCheck={false}
          wrap="off"
          value={text}
          aria-invalid={error || placed.some((p) => p.severity === "error") ? true : undefined}
          aria-describedby={`${id}-help`}
          onChange={(e) => {
            change(e.target.value);
            setCaret(e.target.selectionStart);
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart)}
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
          onKeyDown={(e) => {
            // Ctrl-Space: to the keys this step may still have.
            if (e.key === " " && e.ctrlKey) {
              e.preventDefault();
              keys.current?.querySelector("button")?.focus();
            }
          }}
        />
      </div>
      <p id={`${id}-help`} className="muted small">
        Ctrl-Space offers the keys the step under the caret may still have.
      </p>
      {error && (
        <p className="field-problem" role="status">
          Not {NAMES[format]} yet{error.line ? ` (line ${error.line})` : ""}: {error.message}. The canvas keeps the last document that parsed.
        </p>
      )}
      {step && offered.length > 0 && (
        <div className="key-completions" role="group" aria-label={`Keys for ${step.label}`} ref={keys}>
          <span className="muted small">Add to {step.label}{step.type ? ` (${step.type})` : ""}:</span>
          {offered.map((k) => (
            <button key={k.key} type="button" className="quiet" onClick={() => insert(step, k.key, k.inConfig)}>
              {k.key}
            </button>
          ))}
        </div>
      )}
      {placed.length > 0 && (
        <ul className="problems" aria-label="Problems by line">
          {placed.map((p, i) => (
            <li key={i} className={p.severity}>
              {p.at ? (
                <button type="button" className="link" onClick={() => jump(p.at!)}>line {p.at.line}</button>
              ) : (
                "(document)"
              )}{" "}
              <code>{p.path || "(document)"}</code>: {p.severity === "warning" ? "warning: " : ""}
              {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
