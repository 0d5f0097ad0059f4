import { Layout } from "../components/layout";

export function ItemsPage() {
  return (
    <Layout title="Items">
      <p>Coming soon.</p>
    </Layout>
  );
}
