import { outbox, type OutboxItem } from "../../work";

// What stands in the way of the work: why a submit or a skip could not be done now, and each
// submit the server refused (kept in the outbox with its reason until dismissed).

export default function SubmitProblems({ problem, refused }: { problem: string; refused: OutboxItem[] }) {
  return (
    <>
      {problem && (
        <p className="problems" role="alert">
          {problem}
        </p>
      )}
      {refused.map((item) => (
        <p className="problems" role="alert" key={item.assignmentId}>
          The server refused the submit of task {item.taskId}: {item.error}{" "}
          <button type="button" className="link" onClick={() => outbox.dismiss(item.assignmentId)}>
            Dismiss
          </button>
        </p>
      ))}
    </>
  );
}
