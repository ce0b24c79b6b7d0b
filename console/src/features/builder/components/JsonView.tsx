import { useState } from "react";
import type { Doc } from "../model";

/** The draft as JSON, editable: applied as soon as it parses, so switching back to the canvas
 * shows exactly this document. */
export function JsonView({ doc, onApply }: { doc: Doc; onApply: (doc: unknown) => void }) {
  const shown = JSON.stringify(doc, null, 2);
  const [text, setText] = useState(shown);
  const [last, setLast] = useState(shown);
  const [error, setError] = useState<string | null>(null);
  if (shown !== last) {
    setLast(shown);
    if (!error) setText(shown);
  }
  return (
    <div className="json-view">
      <label htmlFor="builder-json">Definition (JSON)</label>
      <textarea
        id="builder-json"
        className="code"
        spellCheck={false}
        value={text}
        aria-invalid={error ? true : undefined}
        onChange={(e) => {
          setText(e.target.value);
          try {
            const parsed: unknown = JSON.parse(e.target.value);
            setError(null);
            setLast(JSON.stringify(parsed, null, 2));
            onApply(parsed);
          } catch (exc) {
            setError(exc instanceof Error ? exc.message : "not JSON");
          }
        }}
      />
      {error && (
        <p className="field-problem" role="status">
          Not JSON yet: {error}. The canvas keeps the last document that parsed.
        </p>
      )}
    </div>
  );
}
