import type { NodeTypeInfo } from "../api/queries";
import { PALETTE_MIME } from "./BuilderCanvas";
import { FAMILY_TITLES, familyClass } from "./families";

/** Every node type the API declares, by family. Drag one onto the canvas, or focus it and
 * press Enter: it is added below the selected node (and joined to it when it can be). */
export function Palette({ types, onPick }: { types: NodeTypeInfo[]; onPick: (type: string) => void }) {
  const families = [...new Set(types.map((t) => t.family))];
  return (
    <nav className="palette card" aria-label="Node types">
      <h2>Add a step</h2>
      {families.map((family) => (
        <section key={family} aria-label={FAMILY_TITLES[family] ?? family}>
          <h3>{FAMILY_TITLES[family] ?? family}</h3>
          <ul>
            {types
              .filter((t) => t.family === family)
              .map((t) => (
                <li key={t.name}>
                  <button
                    type="button"
                    className={`palette-item ${familyClass(family)}`}
                    draggable
                    onDragStart={(e) => {
                      e.dataTransfer.setData(PALETTE_MIME, t.name);
                      e.dataTransfer.effectAllowed = "copy";
                    }}
                    onClick={() => onPick(t.name)}
                    title={t.aliases.length ? `also written: ${t.aliases.join(", ")}` : undefined}
                  >
                    {t.name}
                  </button>
                </li>
              ))}
          </ul>
        </section>
      ))}
    </nav>
  );
}
