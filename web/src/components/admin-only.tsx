/** What an ingest token sees on an admin-only page (Jobs, a job, Queues, Models): why there is nothing here for it. */
export function AdminOnly({ what }: { what: string }) {
  return (
    <p class="notice" data-admin-only>
      {what} are for admins. You are signed in with an ingest token, which reads items and labels and can
      label them by hand; ask an admin, or sign in with an admin token, to see and steer them.
    </p>
  );
}
