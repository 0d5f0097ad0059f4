import { Layout } from "../components/layout";

export function TaxonomyPage() {
  return (
    <Layout title="Taxonomy">
      <p>Coming soon.</p>
    </Layout>
  );
}
