import { CreateTopicForm } from "../../../../components/create-topic-form.tsx";
import { PageTitle } from "../../../../components/ui.tsx";
import { requirePageRole } from "../../../../server/auth/session.ts";

export const metadata = { title: "Create topic" };

export default async function NewTopicPage() {
  await requirePageRole("operator");
  return (
    <>
      <PageTitle>Create topic</PageTitle>
      <p className="mb-6 max-w-xl text-sm text-slate-600">
        The cluster validates every value; its error (Kafka&apos;s error code and message) appears next to the field it concerns.
      </p>
      <CreateTopicForm />
    </>
  );
}
