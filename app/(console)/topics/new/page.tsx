import { CreateTopicForm } from "../../../../components/create-topic-form.tsx";
import { PageTitle } from "../../../../components/ui.tsx";
import { requirePageRole } from "../../../../server/auth/session.ts";
import { getRuntime } from "../../../../server/runtime.ts";

export const metadata = { title: "Create topic" };

export default async function NewTopicPage() {
  await requirePageRole("operator");
  const rt = await getRuntime();
  // Both only help filling the form; the cluster decides either way.
  const [defaultReplicationFactor, liveBrokers] = await Promise.all([
    rt.cluster.defaultReplicationFactor().catch(() => null),
    rt.cluster.snapshot().then((s) => s.brokers.length, () => null),
  ]);
  return (
    <>
      <PageTitle>Create topic</PageTitle>
      <p className="mb-6 max-w-xl text-sm text-slate-600">
        The cluster validates every value; its error (Kafka&apos;s error code and message) appears next to the field it concerns.
      </p>
      <CreateTopicForm defaultReplicationFactor={defaultReplicationFactor} liveBrokers={liveBrokers} />
    </>
  );
}
