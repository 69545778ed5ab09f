// A page's last outcome: a notice (role="status") and an error (role="alert"), each when set.

export default function PageMessages({ notice, error }: { notice: string; error: string }) {
  return (
    <>
      {notice && (
        <p role="status" className="ok page-status">
          {notice}
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </>
  );
}
