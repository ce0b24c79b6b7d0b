import { ProblemAlert } from "../../../components/feedback";
import { exactTime } from "../../../components/format";
import { useMigrations } from "../api/queries";

/** What each migration status means to a person. */
export const STATUS = { dispatching: "asking runs to move", dispatched: "runs moving", done: "done" } as const;

/** The workflow's applied migrations, newest first, with how far each has got. */
export function MigrationHistory({ workflowId }: { workflowId: string }) {
  const migrations = useMigrations(workflowId);
  if (migrations.error) return <ProblemAlert error={migrations.error} title="The migrations could not be loaded" />;
  if (!migrations.data?.length) return null;
  return (
    <>
      <h3 id="past-migrations">Past migrations</h3>
      <div className="table-wrap">
        <table aria-labelledby="past-migrations">
          <thead>
            <tr>
              <th scope="col">Migration</th>
              <th scope="col">Runs of</th>
              <th scope="col">To</th>
              <th scope="col">Status</th>
              <th scope="col">Moved</th>
              <th scope="col">To move</th>
              <th scope="col">Cannot move</th>
              <th scope="col">Applied</th>
            </tr>
          </thead>
          <tbody>
            {migrations.data.map((m) => (
              <tr key={m.id}>
                <th scope="row">{m.id}</th>
                <td>{m.from_version === "all_older" ? "every older version" : `v${m.from_version}`}</td>
                <td>v{m.to_version}</td>
                <td>{STATUS[m.status]}</td>
                <td>{m.progress.moved}</td>
                <td>{m.progress.signalled}</td>
                <td>{m.progress.cannot_move}</td>
                <td>
                  {exactTime(m.created_at)}
                  {m.created_by && <span className="muted"> by {m.created_by}</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
