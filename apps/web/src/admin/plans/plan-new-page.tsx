import { notifications } from '@mantine/notifications';
import { useNavigate } from 'react-router';
import { AdminPage } from '../shared/admin-page';
import { type PlanDetail } from '../shared/admin-types';
import { useAdminSession } from '../shared/admin-session';
import { PlanEditor } from './plan-editor';
import { emptyPlanForm } from './plan-form';

export function PlanNewPage() {
  const { api } = useAdminSession();
  const navigate = useNavigate();
  return (
    <AdminPage back={{ to: '/admin/plans', label: 'Plans' }} title="New plan">
      <PlanEditor
        mode="create"
        initial={emptyPlanForm()}
        submitLabel="Create plan"
        onSubmit={async (body) => {
          const plan = await api.post<PlanDetail>('/plans', body);
          notifications.show({ color: 'teal', message: `Plan ${plan.name} created` });
          await navigate(`/admin/plans/${plan.id}`);
        }}
      />
    </AdminPage>
  );
}
