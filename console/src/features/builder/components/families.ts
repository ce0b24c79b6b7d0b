/** Node families coloured as the builders people know draw them: trigger green, actions blue,
 * logic yellow, ends red (the same classes as the workflow page's graph). */
export function familyClass(family: string): string {
  if (family === "trigger") return "kind-trigger";
  if (family === "actions" || family === "records" || family === "calls") return "kind-action";
  if (family === "control") return "kind-end";
  return "kind-logic";
}

export const FAMILY_TITLES: Record<string, string> = {
  actions: "Actions",
  records: "Records",
  branching: "Branching",
  waits: "Waits",
  loops: "Loops and parallel",
  calls: "Sub-workflows",
  control: "Variables and ends",
};
