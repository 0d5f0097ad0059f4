import { Layout } from "../components/layout";

export function QueuesPage() {
  return (
    <Layout title="Queues">
      <p>Coming soon.</p>
    </Layout>
  );
}
