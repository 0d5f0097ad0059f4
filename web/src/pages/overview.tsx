import { Layout } from "../components/layout";

export function OverviewPage() {
  return (
    <Layout title="Overview">
      <p>Coming soon.</p>
    </Layout>
  );
}
