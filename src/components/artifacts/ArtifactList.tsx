import { TranslationBundle } from '@jupyterlab/translation';
import * as React from 'react';
import { List, useListCallbackRef } from 'react-window';

import { CatalogModel } from '../../catalog';
import { ArtifactRowView, isTickable, IRowProps, rowId } from './ArtifactRow';

const ROW_HEIGHT = 52;
const LIST_HEIGHT = 364;
/**
 * Rows that Page Up and Page Down move by: about one list height.
 */
const PAGE = 6;

let lists = 0;

/**
 * The open folder's rows as a listbox, virtualized so only visible rows are in the DOM.
 *
 * One Tab stop; the arrow keys, Home, End, Page Up and Page Down move; Enter opens a
 * folder or shows a file; Space ticks a package for install (or shows another file);
 * Backspace goes up a folder.
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
  const [active, setActive] = React.useState(0);
  const [list, setList] = useListCallbackRef(null);
  React.useEffect(() => setActive(0), [model.prefix, model.filter]);

  const activate = (index: number, tick: boolean) => {
    const row = rows[index];
    setActive(index);
    if (row.type === 'folder') {
      void model.open(row.prefix);
    } else if (tick && isTickable(row)) {
      onToggle(row.entry.key);
    } else {
      void model.select(row.entry);
    }
  };
  const moveTo = (index: number) => {
    const next = Math.max(0, Math.min(rows.length - 1, index));
    setActive(next);
    list?.scrollToRow({ index: next, align: 'smart' });
  };
  const onKeyDown = (event: React.KeyboardEvent) => {
    if (rows.length === 0) {
      return;
    }
    const moves: { [key: string]: number } = {
      ArrowDown: active + 1,
      ArrowUp: active - 1,
      PageDown: active + PAGE,
      PageUp: active - PAGE,
      Home: 0,
      End: rows.length - 1
    };
    if (event.key in moves) {
      moveTo(moves[event.key]);
    } else if (event.key === 'Enter' && rows[active]) {
      activate(active, false);
    } else if (event.key === ' ' && rows[active]) {
      activate(active, true);
    } else if (event.key === 'Backspace' && model.prefix) {
      const parts = model.prefix.split('/').filter(part => part);
      void model.open(
        parts.length > 1 ? parts.slice(0, -1).join('/') + '/' : ''
      );
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  if (rows.length === 0 && !model.loading) {
    return (
      <p className="jp-Airlock-empty">{trans.__('This folder is empty.')}</p>
    );
  }
  const current = Math.min(active, rows.length - 1);
  const rowProps: IRowProps = {
    rows,
    model,
    trans,
    ticked,
    active: current,
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
      aria-activedescendant={rows.length ? rowId(listId, current) : undefined}
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
