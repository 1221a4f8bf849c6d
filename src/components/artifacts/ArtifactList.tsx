import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { List, RowComponentProps, useListCallbackRef } from 'react-window';

import { ArtifactRow, CatalogModel } from '../../catalog';
import { ArtifactRowView, IRowProps, rowId } from './ArtifactRow';
import { useRowKeys } from './rowKeys';

let lists = 0;

/**
 * How a view draws the listbox: its rows' component and height, and its own names.
 */
export interface IListLook {
  rowComponent: (props: RowComponentProps<IRowProps>) => JSX.Element;
  rowHeight: number;
  maxHeight: number;
  className: string;
  testId: string;
  label: string;
}

/**
 * The open folder's rows as a listbox, virtualized so only visible rows are in the DOM:
 * the sidebar's compact rows, or (`look`, `rows`) the table's, in its order.
 *
 * One Tab stop, with the keys of `useRowKeys`.
 */
export function ArtifactList(props: {
  model: CatalogModel;
  trans: TranslationBundle;
  ticked: ReadonlySet<string>;
  onToggle: (key: string) => void;
  look?: IListLook;
  /**
   * The rows in the order shown (the model's by default); `order` names that order.
   */
  rows?: ArtifactRow[];
  order?: string;
}): JSX.Element {
  const { model, trans, ticked, onToggle, order } = props;
  const rows = props.rows ?? model.rows;
  const look = props.look ?? {
    rowComponent: ArtifactRowView,
    rowHeight: 52,
    maxHeight: 364,
    className: 'jp-Airlock-artifactList',
    testId: 'airlock-artifacts',
    label: trans.__('Files and folders')
  };
  const [listId] = React.useState(() => `jp-airlock-artifacts-${++lists}`);
  const [list, setList] = useListCallbackRef(null);
  const { active, activate, onKeyDown } = useRowKeys({
    model,
    rows,
    onToggle,
    scrollTo: index => list?.scrollToRow({ index, align: 'smart' }),
    order
  });

  if (rows.length === 0 && !model.loading) {
    // A failed listing says why above; an empty list says nothing more.
    return model.error ? (
      <></>
    ) : (
      <p className="jp-Airlock-empty">
        {model.filter
          ? trans.__('No match for “%1” in this folder.', model.filter)
          : trans.__('This folder is empty.')}
      </p>
    );
  }
  const rowProps: IRowProps = {
    rows,
    model,
    trans,
    ticked,
    active,
    listId,
    onActivate: activate
  };
  return (
    <List
      listRef={setList}
      className={look.className}
      data-testid={look.testId}
      role="listbox"
      aria-label={look.label}
      aria-multiselectable={true}
      aria-activedescendant={rows.length ? rowId(listId, active) : undefined}
      aria-busy={model.loading}
      tabIndex={0}
      onKeyDown={onKeyDown}
      // While a folder loads, the list stays (one row high) so that it keeps the focus.
      style={{
        height: Math.min(
          Math.max(rows.length, 1) * look.rowHeight,
          look.maxHeight
        )
      }}
      rowComponent={look.rowComponent}
      rowCount={rows.length}
      rowHeight={look.rowHeight}
      rowProps={rowProps}
      onRowsRendered={visible => {
        // Fetch the next page before the user reaches the end of this one.
        if (visible.stopIndex >= rows.length - 20) {
          void model.loadMore();
        }
      }}
    />
  );
}
