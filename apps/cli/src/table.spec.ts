import { renderTable } from './table';

describe('renderTable', () => {
  it('aligns columns to the widest cell and leaves empty cells blank', () => {
    expect(
      renderTable(
        ['id', 'name'],
        [
          ['plan_1', 'Free'],
          ['plan_22', null],
        ],
      ),
    ).toBe(['id       name', '-------  ----', 'plan_1   Free', 'plan_22'].join('\n'));
  });
});
