import { Layout } from "../components/layout";

export function ModelsPage() {
  return (
    <Layout title="Models">
      <p>Coming soon.</p>
    </Layout>
  );
}
