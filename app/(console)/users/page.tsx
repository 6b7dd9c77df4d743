import { ChangePasswordForm, CreateUserForm, DeleteUserButton, SetRoleForm } from "../../../components/user-forms.tsx";
import { Badge, Card, PageTitle, td, th } from "../../../components/ui.tsx";
import { requirePageRole } from "../../../server/auth/session.ts";
import { getRuntime } from "../../../server/runtime.ts";

export const metadata = { title: "Users" };

export default async function UsersPage() {
  const me = await requirePageRole("admin");
  const rt = await getRuntime();
  const users = await rt.users.list();
  return (
    <>
      <PageTitle>Users</PageTitle>
      <Card title="Add a user">
        <CreateUserForm />
      </Card>
      <div className="mt-6 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
        <table className="min-w-full divide-y divide-slate-200 text-sm" data-testid="users-table">
          <thead className="bg-slate-50">
            <tr>
              <th className={th}>User</th>
              <th className={th}>Role</th>
              <th className={th}>Created</th>
              <th className={th}>Password</th>
              <th className={th}></th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {users.map((u) => (
              <tr key={u.username}>
                <td className={`${td} font-mono`}>
                  {u.username} {u.username === me.username ? <Badge tone="info">you</Badge> : null}
                </td>
                <td className={td} data-testid="user-role" data-user={u.username}>
                  {u.username === me.username ? u.role : <SetRoleForm username={u.username} role={u.role} />}
                </td>
                <td className={`${td} font-mono text-xs`}>{u.createdAt.toISOString().slice(0, 19).replace("T", " ")}</td>
                <td className={td}>
                  <ChangePasswordForm username={u.username} />
                </td>
                <td className={td}>{u.username === me.username ? null : <DeleteUserButton username={u.username} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
