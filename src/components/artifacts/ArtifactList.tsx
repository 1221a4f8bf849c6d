import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { List, useListCallbackRef } from 'react-window';

import { CatalogModel } from '../../catalog';
import { ArtifactRowView, IRowProps, rowId } from './ArtifactRow';
import { useRowKeys } from './rowKeys';

const ROW_HEIGHT = 52;
const LIST_HEIGHT = 364;
let lists = 0;

/**
 * The open folder's rows as a listbox, virtualized so only visible rows are in the DOM.
 *
 * One Tab stop, with the keys of `useRowKeys`.
 */
export function ArtifactList(props: {
  model: CatalogModel;
  trans: TranslationBundle;
  ticked: ReadonlySet<string>;
  onToggle: (key: string) => void;
}): JSX.Element {
  const { model, trans, ticked, onToggle } = props;
  const rows = model.rows;
  const [listId] = React.useState(() => `jp-airlock-artifacts-${++lists}`);
  const [list, setList] = useListCallbackRef(null);
  const { active, activate, onKeyDown } = useRowKeys({
    model,
    rows,
    onToggle,
    scrollTo: index => list?.scrollToRow({ index, align: 'smart' })
  });

  if (rows.length === 0 && !model.loading) {
    return (
      <p className="jp-Airlock-empty">{trans.__('This folder is empty.')}</p>
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
      className="jp-Airlock-artifactList"
      data-testid="airlock-artifacts"
      role="listbox"
      aria-label={trans.__('Files and folders')}
      aria-multiselectable={true}
      aria-activedescendant={rows.length ? rowId(listId, active) : undefined}
      aria-busy={model.loading}
      tabIndex={0}
      onKeyDown={onKeyDown}
      // While a folder loads, the list stays (one row high) so that it keeps the focus.
      style={{
        height: Math.min(Math.max(rows.length, 1) * ROW_HEIGHT, LIST_HEIGHT)
      }}
      rowComponent={ArtifactRowView}
      rowCount={rows.length}
      rowHeight={ROW_HEIGHT}
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
