import { Layout } from "../components/layout";

export function ItemPage() {
  return (
    <Layout title="Item">
      <p>Coming soon.</p>
    </Layout>
  );
}
