import { Layout } from "../components/layout";

export function JobPage() {
  return (
    <Layout title="Job">
      <p>Coming soon.</p>
    </Layout>
  );
}
