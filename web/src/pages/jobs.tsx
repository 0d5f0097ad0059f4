import { Layout } from "../components/layout";

export function JobsPage() {
  return (
    <Layout title="Jobs">
      <p>Coming soon.</p>
    </Layout>
  );
}
