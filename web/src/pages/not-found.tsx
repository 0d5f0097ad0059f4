import { Layout } from "../components/layout";

export function NotFound() {
  return (
    <Layout title="Page not found">
      <p>
        There is no such page. The <a href="/">Overview</a> is a good place to start.
      </p>
    </Layout>
  );
}
