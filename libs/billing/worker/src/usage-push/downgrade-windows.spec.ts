import { dunningAuditActions } from '../dunning/dunning-audit-actions';
import { downgradeWindows, rangesOutside, stripePlanMoveAction } from './downgrade-windows';

const at = (ms: number) => new Date(ms);

describe('downgradeWindows', () => {
  it('pairs each downgrade with the restore that ends it; one still in force has no end', () => {
    expect(
      downgradeWindows([
        { action: dunningAuditActions.downgrade, createdAt: at(100), after: { planId: 'plan_free' } },
        { action: dunningAuditActions.restore, createdAt: at(200), after: { planId: 'plan_pro' } },
        { action: dunningAuditActions.downgrade, createdAt: at(300), after: { planId: 'plan_free' } },
      ]),
    ).toEqual([
      { from: 100, to: 200 },
      { from: 300, to: Number.POSITIVE_INFINITY },
    ]);
  });

  it('ends a downgrade at a plan move that followed Stripe, not at a status change', () => {
    expect(
      downgradeWindows([
        { action: dunningAuditActions.downgrade, createdAt: at(100), after: null },
        { action: stripePlanMoveAction, createdAt: at(150), after: { status: 'active' } },
        { action: stripePlanMoveAction, createdAt: at(180), after: { planId: 'plan_team' } },
        { action: dunningAuditActions.restore, createdAt: at(400), after: null },
      ]),
    ).toEqual([{ from: 100, to: 180 }]);
  });

  it('finds none without a downgrade', () => {
    expect(
      downgradeWindows([{ action: dunningAuditActions.restore, createdAt: at(5), after: null }]),
    ).toEqual([]);
  });
});

describe('rangesOutside', () => {
  it('cuts the excluded windows out of the range', () => {
    expect(
      rangesOutside({ from: 0, to: 1000 }, [
        { from: 100, to: 200 },
        { from: 900, to: Number.POSITIVE_INFINITY },
      ]),
    ).toEqual([
      { from: 0, to: 100 },
      { from: 200, to: 900 },
    ]);
  });

  it('keeps a range the windows do not touch, and drops one they cover or that is empty', () => {
    expect(rangesOutside({ from: 0, to: 100 }, [{ from: 100, to: 200 }])).toEqual([{ from: 0, to: 100 }]);
    expect(rangesOutside({ from: 120, to: 180 }, [{ from: 100, to: 200 }])).toEqual([]);
    expect(rangesOutside({ from: 50, to: 50 }, [])).toEqual([]);
  });
});
